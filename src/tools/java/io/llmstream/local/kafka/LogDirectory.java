package io.llmstream.local.kafka;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The broker's single log directory, holding both the data and the KRaft metadata log. A KRaft
 * node refuses to start on an unformatted directory, so it is formatted here the way
 * {@code kafka-storage.sh format} would; a directory that is already formatted is reused as it is,
 * which is what lets data survive a restart.
 */
final class LogDirectory {

    /** Written by the formatter into every formatted log directory. */
    static final String META_PROPERTIES = "meta.properties";

    private final Path path;
    private final boolean temporary;

    private LogDirectory(Path path, boolean temporary) {
        this.path = path;
        this.temporary = temporary;
    }

    /** A new temporary directory, deleted again by {@link #deleteIfTemporary()}. */
    static LogDirectory temporary() {
        try {
            return new LogDirectory(Files.createTempDirectory("llmstream-kafka-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary Kafka log directory: " + e.getMessage(), e);
        }
    }

    /** The caller's directory, created if missing and never deleted. */
    static LogDirectory kept(Path directory) {
        Path path = directory.toAbsolutePath().normalize();
        if (Files.exists(path) && !Files.isDirectory(path)) {
            throw new IllegalArgumentException("directory must be a directory, was a file: " + path);
        }
        try {
            Files.createDirectories(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka log directory " + path + ": " + e.getMessage(), e);
        }
        return new LogDirectory(path, false);
    }

    Path path() {
        return path;
    }

    boolean isFormatted() {
        return Files.isRegularFile(path.resolve(META_PROPERTIES));
    }

    /**
     * Formats the directory for {@link BrokerProperties#NODE_ID} with a random cluster id and the
     * newest production metadata version, unless it is formatted already.
     *
     * @return whether it formatted; false means an existing cluster is reused
     */
    boolean formatIfNeeded() {
        if (isFormatted()) {
            return false;
        }
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8))
                .setNodeId(BrokerProperties.NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .addDirectory(path.toString())
                .setMetadataLogDirectory(path.toString())
                .setControllerListenerName(BrokerProperties.CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.latestProduction());
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka log directory " + path + ": " + e.getMessage(), e);
        }
        return true;
    }

    /** Deletes the directory if this class created it; a caller's directory is left alone. */
    void deleteIfTemporary() {
        if (!temporary || !Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            List<Path> deepestFirst = walk.sorted(Comparator.reverseOrder()).toList();
            for (Path file : deepestFirst) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete Kafka log directory " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
