"""OpenVidu Inspector: the operators' web console at ``/inspector`` (live sessions, media servers, recordings,
history, configuration), served by this server under its Basic auth. It reads the same core, media and stats
objects the REST API reads and pushes them live over Server-Sent Events; it keeps no state of its own."""
