package io.llmstream.kafka;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * Says why Kafka did not answer, which Kafka's admin client does not: it retries refused connections
 * silently until its timeout. A plain TCP connection to each bootstrap address tells a refused port, an
 * unknown host or a silent network apart from a listener that accepts the connection but does not answer as
 * Kafka (a different security.protocol).
 */
final class BootstrapProbe {
    private BootstrapProbe() {}

    /** Why the brokers at {@code bootstrapServers} did not answer, in a few words. */
    static String explain(String bootstrapServers, Duration timeout) {
        String[] addresses = bootstrapServers.split(",");
        int perAddress = (int) Math.max(100, timeout.toMillis() / Math.max(1, addresses.length));
        String reachable = null;
        StringBuilder failures = new StringBuilder();
        for (String address : addresses) {
            String trimmed = address.trim();
            String failure = connect(trimmed, perAddress);
            if (failure == null) {
                reachable = trimmed;
            } else {
                failures.append(failures.length() == 0 ? "" : "; ").append(failure);
            }
        }
        if (reachable != null) {
            return reachable + " accepts connections but does not answer as Kafka (does kafka.properties "
                    + "security.protocol match the broker's listener?)";
        }
        return failures.toString();
    }

    /** null if a TCP connection works, else why not. */
    private static String connect(String address, int timeoutMillis) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            return "'" + address + "' is not host:port";
        }
        String host = address.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            return "'" + address + "' is not host:port";
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            return null;
        } catch (UnknownHostException e) {
            return "unknown host " + host;
        } catch (ConnectException e) {
            return "connection refused by " + address;
        } catch (SocketTimeoutException e) {
            return "no TCP connection to " + address + " within " + timeoutMillis + " ms";
        } catch (IOException | IllegalArgumentException e) {
            return address + ": " + e.getMessage();
        }
    }
}
