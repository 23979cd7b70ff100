package io.llmstream.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback ports for the local tools (embedded broker, mock LLM server, demo). */
public final class Ports {

    /** The address every local server binds to, so nothing is reachable from outside the machine. */
    public static final String LOOPBACK = "127.0.0.1";

    private Ports() {}

    /**
     * A port on 127.0.0.1 that was free a moment ago. For servers that must know their port before
     * they bind (a KRaft voter list, an advertised listener), where binding to port 0 does not help.
     * Another process may take it in between, so bind soon after.
     */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + LOOPBACK + ": " + e.getMessage(), e);
        }
    }
}
