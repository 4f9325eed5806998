"""The OpenVidu 2.16+ (2.32.2) REST surface at ``/openvidu/api``: thin handlers and their own serializer over the
same core as the 2.10/2.11 surface of :mod:`server.api` (spec openvidu-rest-2.32.md)."""
