package io.llmstream.it.cluster;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a Flink 2.2 distribution ({@code flink-dist}) would give the processes of a standalone cluster, put
 * together from the Maven artifacts on this JVM's class path: the jars of its {@code lib/} (Flink's runtime,
 * streaming API and client with their third-party dependencies, Log4j), the Prometheus reporter of its
 * {@code plugins/}, and the JVM options its scripts pass.
 *
 * <p>Only those jars: the test class path also holds the Kafka connector and clients, the job's own
 * classes and the test libraries, none of which a cluster has. With them on the cluster's class path the
 * job jar's classes would meet other copies of themselves, which is what a real cluster never shows.
 */
public final class FlinkDistribution {

    /** The jars of flink-dist's lib/ as Maven coordinates (groupId:artifactId), no classifier. */
    static final Set<String> LIB = Set.of(
            "org.apache.flink:flink-annotations",
            "org.apache.flink:flink-core",
            "org.apache.flink:flink-core-api",
            "org.apache.flink:flink-metrics-core",
            "org.apache.flink:flink-datastream",
            "org.apache.flink:flink-datastream-api",
            "org.apache.flink:flink-streaming-java",
            "org.apache.flink:flink-runtime",
            "org.apache.flink:flink-clients",
            "org.apache.flink:flink-rpc-core",
            "org.apache.flink:flink-rpc-akka-loader",
            "org.apache.flink:flink-queryable-state-client-java",
            "org.apache.flink:flink-hadoop-fs",
            "org.apache.flink:flink-file-sink-common",
            "org.apache.flink:flink-connector-base",
            "org.apache.flink:flink-connector-datagen",
            "org.apache.flink:flink-shaded-asm-9",
            "org.apache.flink:flink-shaded-guava",
            "org.apache.flink:flink-shaded-jackson",
            "org.apache.flink:flink-shaded-netty",
            "org.apache.flink:flink-shaded-zookeeper-3",
            "org.snakeyaml:snakeyaml-engine",
            "com.esotericsoftware:kryo",
            "com.esotericsoftware:reflectasm",
            "com.esotericsoftware:minlog",
            "org.objenesis:objenesis",
            "commons-collections:commons-collections",
            "commons-cli:commons-cli",
            "commons-io:commons-io",
            "org.apache.commons:commons-compress",
            "org.apache.commons:commons-math3",
            "org.apache.commons:commons-lang3",
            "org.apache.commons:commons-text",
            "org.javassist:javassist",
            "org.xerial.snappy:snappy-java",
            "at.yawk.lz4:lz4-java",
            "tools.profiler:async-profiler",
            "com.google.code.findbugs:jsr305",
            "org.slf4j:slf4j-api",
            "org.apache.logging.log4j:log4j-api",
            "org.apache.logging.log4j:log4j-core",
            "org.apache.logging.log4j:log4j-slf4j-impl");

    /** The Prometheus reporter, which flink-dist ships in plugins/metrics-prometheus/. */
    static final String PROMETHEUS_REPORTER = "org.apache.flink:flink-metrics-prometheus";

    /**
     * The module options of flink-dist's default {@code env.java.opts.all}, without which Flink's
     * serializers and Netty fail on Java 17.
     */
    static final List<String> JAVA_17_OPTIONS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    private final List<Path> lib;
    private final Optional<Path> prometheusReporter;

    private FlinkDistribution(List<Path> lib, Optional<Path> prometheusReporter) {
        this.lib = List.copyOf(lib);
        this.prometheusReporter = prometheusReporter;
    }

    /**
     * The distribution found on this JVM's class path (Maven's local repository layout, as Surefire and
     * Failsafe give it).
     *
     * @throws IllegalStateException if a jar of lib/ is missing, naming it
     */
    public static FlinkDistribution fromClassPath() {
        return fromClassPath(System.getProperty("java.class.path"));
    }

    static FlinkDistribution fromClassPath(String classPath) {
        List<Path> lib = new ArrayList<>();
        Set<String> found = new TreeSet<>();
        Path reporter = null;
        for (String entry : classPath.split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            if (!Files.isRegularFile(jar)) {
                continue;
            }
            for (String coordinates : LIB) {
                if (isArtifact(jar, coordinates) && found.add(coordinates)) {
                    lib.add(jar);
                }
            }
            if (isArtifact(jar, PROMETHEUS_REPORTER)) {
                reporter = jar;
            }
        }
        Set<String> missing = new TreeSet<>(LIB);
        missing.removeAll(found);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the class path lacks these jars of a Flink distribution's lib/: "
                    + missing + "; run from Maven (mvn verify) or give the test class path");
        }
        return new FlinkDistribution(lib, Optional.ofNullable(reporter));
    }

    /**
     * Whether a jar is the main artifact of {@code groupId:artifactId} in a Maven repository's layout
     * ({@code .../org/apache/flink/flink-core/2.2.1/flink-core-2.2.1.jar}); a jar with a classifier, such
     * as {@code -tests}, is not.
     */
    static boolean isArtifact(Path jar, String coordinates) {
        String[] parts = coordinates.split(":");
        Path versionDir = jar.toAbsolutePath().getParent();
        if (versionDir == null || versionDir.getFileName() == null) {
            return false;
        }
        String version = versionDir.getFileName().toString();
        Path expected = Path.of(parts[0].replace('.', '/'), parts[1], version, parts[1] + "-" + version + ".jar");
        return jar.toAbsolutePath().endsWith(expected);
    }

    /** The class path of every Flink process: lib/. */
    public List<Path> lib() {
        return lib;
    }

    /** The Prometheus reporter's jar, if it is on the class path (a test dependency). */
    public Optional<Path> prometheusReporter() {
        return prometheusReporter;
    }
}
