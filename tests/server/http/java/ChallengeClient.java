// A JDK-only stand-in for openvidu-java-client's transport: credentials are registered with an Authenticator and
// sent only after the server answers 401 with a Basic challenge (as Apache HttpClient's CredentialsProvider does
// in openvidu-java-client 2.10/2.11). Prints one line per call: "<label> <status> <body>", then "challenges N".
// usage: java ChallengeClient.java <https://host:port> <secret>

import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

public class ChallengeClient {
    static final AtomicInteger challenges = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        String base = args[0];
        String secret = args[1];
        TrustManager[] trustAll = {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }};
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, trustAll, new SecureRandom());
        SSLParameters params = new SSLParameters();
        params.setEndpointIdentificationAlgorithm("");
        HttpClient client = HttpClient.newBuilder()
            .sslContext(ssl)
            .sslParameters(params)
            .connectTimeout(Duration.ofSeconds(10))
            .authenticator(new Authenticator() {
                @Override
                protected PasswordAuthentication getPasswordAuthentication() {
                    challenges.incrementAndGet();
                    return new PasswordAuthentication("OPENVIDUAPP", secret.toCharArray());
                }
            })
            .build();

        String created = call(client, "create", HttpRequest.newBuilder(URI.create(base + "/api/sessions"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"mediaMode\":\"ROUTED\",\"recordingMode\":\"MANUAL\",\"customSessionId\":\"java-session\","
                + "\"defaultOutputMode\":\"COMPOSED\",\"defaultRecordingLayout\":\"BEST_FIT\",\"defaultCustomLayout\":\"\"}")));
        call(client, "token", HttpRequest.newBuilder(URI.create(base + "/api/tokens"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"session\":\"java-session\",\"role\":\"MODERATOR\",\"data\":\"java-data\"}")));
        call(client, "fetch", HttpRequest.newBuilder(URI.create(base + "/api/sessions/java-session")).GET());
        call(client, "list", HttpRequest.newBuilder(URI.create(base + "/api/sessions")).GET());
        call(client, "close", HttpRequest.newBuilder(URI.create(base + "/api/sessions/java-session")).DELETE());
        call(client, "gone", HttpRequest.newBuilder(URI.create(base + "/api/sessions/java-session")).GET());
        System.out.println("challenges " + challenges.get());
    }

    static String call(HttpClient client, String label, HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(20)).build(),
            HttpResponse.BodyHandlers.ofString());
        System.out.println(label + " " + response.statusCode() + " " + response.body().replace("\n", " "));
        return response.body();
    }
}
