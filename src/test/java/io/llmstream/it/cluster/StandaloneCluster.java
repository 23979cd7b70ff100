package io.llmstream.it.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.llmstream.local.Ports;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Flink standalone session cluster of separate JVMs on loopback, started the way Flink's scripts start one:
 * a JobManager ({@code StandaloneSessionClusterEntrypoint}) and TaskManagers ({@code TaskManagerRunner}), each
 * with the memory flags and dynamic properties that {@code bin/config.sh} would compute (through the same
 * code as {@code BashJavaUtils}), the class path of a Flink distribution's lib/ ({@link FlinkDistribution}),
 * and jobs submitted by {@code flink run} ({@code CliFrontend}) in a JVM of its own.
 *
 * <p>Everything lives under one directory, wiped at start and kept afterwards for post-mortems:
 * {@code conf/config.yaml}, {@code plugins/}, {@code log/<process>.log} (Log4j) and {@code log/<process>.out}
 * (standard output and error), {@code checkpoints/}, {@code processes} (their pids). {@link #close()} ends
 * every process it started; a shutdown hook does the same if the test JVM exits first, and the next start in
 * the same directory ends what a test JVM killed outright left behind.
 */
public final class StandaloneCluster implements AutoCloseable {
    private static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String CLIENT_MAIN = "org.apache.flink.client.cli.CliFrontend";
    private static final Pattern SUBMITTED = Pattern.compile("Job has been submitted with JobID ([0-9a-f]{32})");
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration SUBMIT_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final String REPORTER_PORT = "metrics.reporter.prom.port";
    /** The processes of a run, one {@code <pid> <name>} per line, so the next run can end what this one left. */
    private static final String PIDS = "processes";

    private final Path dir;
    private final Path confDir;
    private final Path logDir;
    private final FlinkDistribution distribution;
    private final Map<String, String> environment;
    private final boolean prometheusReporter;
    private final int restPort;
    private final ClusterRest rest;
    private final Map<String, JvmProcess> taskManagers = new LinkedHashMap<>();
    private final Map<String, Integer> reporterPorts = new LinkedHashMap<>();
    private final Set<String> killed = new HashSet<>();
    /** TaskManagers that ended on their own and were replaced. */
    private final Set<String> ended = new HashSet<>();
    private final Thread shutdownHook = new Thread(this::stopAll, "standalone-cluster-shutdown");
    private JvmProcess jobManager;
    private int taskManagersStarted;
    private int clientsStarted;

    private StandaloneCluster(Builder builder) throws IOException {
        this.dir = builder.dir.toAbsolutePath();
        this.confDir = dir.resolve("conf");
        this.logDir = dir.resolve("log");
        this.distribution = FlinkDistribution.fromClassPath();
        this.prometheusReporter = builder.reporterConfig != null;
        this.restPort = Ports.freePort();
        this.rest = new ClusterRest(URI.create("http://" + Ports.LOOPBACK + ":" + restPort + "/"));
        Path pluginsDir = dir.resolve("plugins");
        this.environment = Map.of("FLINK_CONF_DIR", confDir.toString(), "FLINK_PLUGINS_DIR", pluginsDir.toString(),
                "FLINK_LOG_DIR", logDir.toString());

        killLeftovers(dir);
        deleteRecursively(dir);
        Files.createDirectories(confDir);
        Files.createDirectories(logDir);
        Files.createDirectories(pluginsDir);
        Map<String, String> config = new LinkedHashMap<>();
        config.put("jobmanager.rpc.address", Ports.LOOPBACK);
        config.put("jobmanager.rpc.port", String.valueOf(Ports.freePort()));
        config.put("jobmanager.bind-host", Ports.LOOPBACK);
        config.put("taskmanager.bind-host", Ports.LOOPBACK);
        config.put("taskmanager.host", Ports.LOOPBACK);
        config.put("rest.address", Ports.LOOPBACK);
        config.put("rest.bind-address", Ports.LOOPBACK);
        config.put("rest.port", String.valueOf(restPort));
        config.put("jobmanager.memory.process.size", "900m");
        config.put("taskmanager.memory.process.size", "1100m");
        // The job keeps its state on the heap; managed memory serves RocksDB and batch jobs only.
        config.put("taskmanager.memory.managed.size", "0m");
        config.put("taskmanager.numberOfTaskSlots", "1");
        // A TaskManager killed with SIGKILL is declared dead after 10 s instead of the default 50 s.
        config.put("heartbeat.interval", "2000");
        config.put("heartbeat.timeout", "10000");
        config.put("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        config.put("io.tmp.dirs", dir.resolve("tmp").toString());
        if (prometheusReporter) {
            Path jar = distribution.prometheusReporter().orElseThrow(() -> new IllegalStateException(
                    "the Prometheus reporter (org.apache.flink:flink-metrics-prometheus) is not on the class path"));
            Path pluginDir = Files.createDirectories(pluginsDir.resolve("metrics-prometheus"));
            Files.copy(jar, pluginDir.resolve(jar.getFileName()));
            config.putAll(flatYaml(builder.reporterConfig));
        }
        config.putAll(builder.properties);
        Files.createDirectories(dir.resolve("tmp"));
        StringBuilder yaml = new StringBuilder("# Written by StandaloneCluster for one test run.\n");
        config.forEach((key, value) -> yaml.append(key).append(": \"").append(value).append("\"\n"));
        Files.writeString(confDir.resolve("config.yaml"), yaml);
        Files.writeString(confDir.resolve("log4j.properties"), log4jProperties());
    }

    /** A cluster under {@code dir} (a directory under {@code target/}, wiped at start). */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** Settings of a cluster before it starts. */
    public static final class Builder {
        private final Path dir;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private int taskManagers = 2;
        private Path reporterConfig;

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** How many TaskManagers to start, one slot each (default 2). */
        public Builder taskManagers(int count) {
            this.taskManagers = count;
            return this;
        }

        /** A key of config.yaml, over the cluster's own settings. */
        public Builder set(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /**
         * Turns on the Prometheus reporter with the keys of a Flink configuration file (such as
         * {@code conf/flink-prometheus.yaml}), its jar in plugins/, each process on a port of its own.
         */
        public Builder prometheusReporter(Path flinkConfigFile) {
            this.reporterConfig = flinkConfigFile;
            return this;
        }

        /**
         * Starts the JobManager and the TaskManagers and waits until all are registered. Ports are picked free
         * just before the processes bind them; when another process took one meanwhile, the cluster starts
         * again on other ports (up to three times).
         */
        public StandaloneCluster start() throws IOException, InterruptedException {
            for (int attempt = 1; ; attempt++) {
                try {
                    return startOnce();
                } catch (IllegalStateException e) {
                    boolean portTaken = String.valueOf(e.getMessage()).contains("BindException")
                            || String.valueOf(e.getMessage()).contains("Address already in use");
                    if (!portTaken || attempt == 3) {
                        throw e;
                    }
                }
            }
        }

        private StandaloneCluster startOnce() throws IOException, InterruptedException {
            StandaloneCluster cluster = new StandaloneCluster(this);
            try {
                // As start-cluster.sh: all at once; TaskManagers retry until the JobManager answers.
                cluster.startJobManager();
                for (int i = 0; i < taskManagers; i++) {
                    cluster.startTaskManager();
                }
                cluster.awaitRestEndpoint();
                cluster.awaitTaskManagers(taskManagers, STARTUP_TIMEOUT);
                return cluster;
            } catch (IOException | InterruptedException | RuntimeException e) {
                cluster.close();
                throw e;
            }
        }
    }

    public Path directory() {
        return dir;
    }

    public ClusterRest rest() {
        return rest;
    }

    public int restPort() {
        return restPort;
    }

    /** The TaskManagers started so far by resource id ({@code tm-1}, ...), killed ones included. */
    public Map<String, JvmProcess> taskManagers() {
        return Map.copyOf(taskManagers);
    }

    /**
     * Where each process serves its metrics for Prometheus ({@code 127.0.0.1:port} by process name,
     * {@code jobmanager}, {@code tm-1}, ...); empty without the reporter.
     */
    public Map<String, String> metricsEndpoints() {
        Map<String, String> endpoints = new LinkedHashMap<>();
        reporterPorts.forEach((process, port) -> endpoints.put(process, Ports.LOOPBACK + ":" + port));
        return endpoints;
    }

    private void startJobManager() {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        Configuration config = GlobalConfiguration.loadConfiguration(confDir.toString());
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(config);
        List<String> jvmOptions = new ArrayList<>(words(JobManagerProcessUtils.generateJvmParametersStr(spec, config)));
        List<String> args = new ArrayList<>(List.of("--configDir", confDir.toString()));
        args.addAll(words(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
        jobManager = startFlinkProcess("jobmanager", JOB_MANAGER_MAIN, jvmOptions, args);
    }

    private void awaitRestEndpoint() throws InterruptedException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (!rest.isUp()) {
            if (!jobManager.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the JobManager's REST API did not come up on port " + restPort
                        + " within " + STARTUP_TIMEOUT.toSeconds() + " s" + describeEnd(jobManager));
            }
            Thread.sleep(200);
        }
    }

    /** Starts one more TaskManager (one slot); returns its resource id, {@code tm-<n>}. */
    public String startTaskManager() {
        String id = "tm-" + (++taskManagersStarted);
        Configuration config = GlobalConfiguration.loadConfiguration(confDir.toString());
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(config);
        List<String> jvmOptions = new ArrayList<>(words(ProcessMemoryUtils.generateJvmParametersStr(spec)));
        List<String> args = new ArrayList<>(List.of("--configDir", confDir.toString()));
        args.addAll(words(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
        args.add("-Dtaskmanager.resource-id=" + id);
        taskManagers.put(id, startFlinkProcess(id, TASK_MANAGER_MAIN, jvmOptions, args));
        return id;
    }

    /** {@code kill -9} of a TaskManager: no goodbye to the JobManager, which notices by the lost connections. */
    public void killTaskManager(String id) {
        JvmProcess taskManager = taskManagers.get(id);
        if (taskManager == null) {
            throw new IllegalArgumentException("no TaskManager " + id + "; there are " + taskManagers.keySet());
        }
        killed.add(id);
        taskManager.kill();
    }

    /** A TaskManager that ended without being killed, the first FATAL line of its log, and its replacement. */
    public record EndedTaskManager(String id, String fatalLine, String replacedBy) {
        /** Whether Flink shut it down itself after a task's clean-up failed. */
        public boolean failedInCleanUp() {
            return fatalLine.contains("exception in exception handler");
        }

        @Override
        public String toString() {
            return id + " ended (" + fatalLine + "), replaced by " + replacedBy;
        }
    }

    /**
     * Starts a TaskManager in place of each one that ended without being killed, as a supervisor (Kubernetes,
     * systemd) would; returns those it replaced.
     */
    public List<EndedTaskManager> replaceEndedTaskManagers() {
        List<EndedTaskManager> replaced = new ArrayList<>();
        for (Map.Entry<String, JvmProcess> taskManager : new ArrayList<>(taskManagers.entrySet())) {
            String id = taskManager.getKey();
            if (!taskManager.getValue().isAlive() && !killed.contains(id) && !ended.contains(id)) {
                ended.add(id);
                replaced.add(new EndedTaskManager(id, firstFatalLine(id), startTaskManager()));
            }
        }
        return replaced;
    }

    private String firstFatalLine(String id) {
        Path log = logDir.resolve(id + ".log");
        try (var lines = Files.lines(log)) {
            return lines.filter(line -> line.contains("FATAL") || line.contains("Fatal")).findFirst()
                    .orElse("no FATAL line in " + log);
        } catch (IOException | java.io.UncheckedIOException e) {
            return "its log " + log + " unreadable: " + e;
        }
    }

    /** Waits until exactly {@code count} TaskManagers are registered. */
    public void awaitTaskManagers(int count, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int registered;
        while ((registered = rest.taskManagers()) != count) {
            if (!jobManager.isAlive()) {
                throw new IllegalStateException("the JobManager ended" + describeEnd(jobManager));
            }
            for (Map.Entry<String, JvmProcess> taskManager : taskManagers.entrySet()) {
                if (!taskManager.getValue().isAlive() && !killed.contains(taskManager.getKey())) {
                    throw new IllegalStateException("TaskManager " + taskManager.getKey() + " ended"
                            + describeEnd(taskManager.getValue()));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(registered + " TaskManagers registered after " + timeout.toSeconds()
                        + " s, expected " + count + "; logs in " + logDir);
            }
            Thread.sleep(200);
        }
    }

    /**
     * {@code flink run -d -t remote -Drest.address=127.0.0.1 -Drest.port=<port> <jar> <args>}: the Flink client
     * in a JVM of its own runs the jar's main, which submits the job; returns the job's id.
     *
     * @throws IllegalStateException if the client fails or names no job, with the end of its output
     */
    public String submitDetached(Path jar, List<String> programArgs) throws InterruptedException {
        String name = "client-" + (++clientsStarted);
        List<String> args = new ArrayList<>(List.of("run", "--detached", "--target", "remote",
                "-Drest.address=" + Ports.LOOPBACK, "-Drest.port=" + restPort, jar.toAbsolutePath().toString()));
        args.addAll(programArgs);
        JvmProcess client = startFlinkProcess(name, CLIENT_MAIN, List.of("-Xmx512m"), args);
        OptionalInt exit = client.awaitExit(SUBMIT_TIMEOUT);
        if (exit.isEmpty()) {
            client.kill();
            throw new IllegalStateException("flink run did not end within " + SUBMIT_TIMEOUT.toSeconds() + " s"
                    + describeEnd(client));
        }
        Matcher submitted = SUBMITTED.matcher(client.outputTail(200));
        if (exit.getAsInt() != 0 || !submitted.find()) {
            throw new IllegalStateException("flink run exited with " + exit.getAsInt() + describeEnd(client));
        }
        return submitted.group(1);
    }

    /** A Flink JVM: lib/ as class path, Java 17 options, Log4j to log/<name>.log, output to log/<name>.out. */
    private JvmProcess startFlinkProcess(String name, String mainClass, List<String> jvmOptions, List<String> args) {
        List<String> options = new ArrayList<>(FlinkDistribution.JAVA_17_OPTIONS);
        options.addAll(jvmOptions);
        options.add("-Dlog.file=" + logDir.resolve(name + ".log"));
        options.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
        List<String> allArgs = new ArrayList<>(args);
        if (prometheusReporter && !name.startsWith("client")) {
            int port = Ports.freePort();
            reporterPorts.put(name, port);
            allArgs.add("-D" + REPORTER_PORT + "=" + port);
        }
        JvmProcess process = JvmProcess.start(name, distribution.lib(), options, mainClass, allArgs, environment, dir,
                logDir.resolve(name + ".out"));
        try {
            Files.writeString(dir.resolve(PIDS), process.pid() + " " + name + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return process;
    }

    /**
     * Kills what a run before this one left behind in the same directory: its processes survive it when its JVM
     * was killed (a shutdown hook needs a JVM that exits). Only processes whose command line names the
     * directory's configuration are touched.
     */
    private static void killLeftovers(Path dir) throws IOException {
        Path pids = dir.resolve(PIDS);
        if (!Files.exists(pids)) {
            return;
        }
        String confDir = dir.resolve("conf").toString();
        for (String line : Files.readAllLines(pids)) {
            ProcessHandle.of(Long.parseLong(line.split(" ")[0]))
                    .filter(process -> process.info().commandLine().orElse("").contains(confDir))
                    .ifPresent(process -> {
                        process.destroyForcibly();
                        process.onExit().join();
                    });
        }
    }

    /** How a process ended, for error messages: its exit and the end of its output and log. */
    private String describeEnd(JvmProcess process) {
        StringBuilder text = new StringBuilder();
        try {
            OptionalInt exit = process.awaitExit(Duration.ZERO);
            text.append(exit.isPresent() ? "; it exited with " + exit.getAsInt() : "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        text.append("; its output (").append(process.output()).append(") ends:\n").append(process.outputTail(30));
        Path log = logDir.resolve(process.name() + ".log");
        if (Files.exists(log)) {
            text.append("\nits log (").append(log).append(") ends:\n").append(tail(log, 30));
        }
        return text.toString();
    }

    /** Ends every process: the TaskManagers, then the JobManager, each with SIGTERM and SIGKILL after 10 s. */
    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // The JVM is shutting down (the hook runs or ran), or the hook was never added.
        }
    }

    private synchronized void stopAll() {
        taskManagers.values().forEach(taskManager -> taskManager.stop(STOP_GRACE));
        if (jobManager != null) {
            jobManager.stop(STOP_GRACE);
        }
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.trim().split("\\s+")).filter(word -> !word.isEmpty()).toList();
    }

    /** A Flink configuration file's keys, nested maps joined into dotted keys as Flink reads them. */
    private static Map<String, String> flatYaml(Path file) throws IOException {
        Map<String, String> flat = new LinkedHashMap<>();
        flatten("", new YAMLMapper().readTree(file.toFile()), flat);
        return flat;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> flat) {
        if (node.isObject()) {
            node.properties().forEach(entry -> flatten(prefix.isEmpty() ? entry.getKey()
                    : prefix + "." + entry.getKey(), entry.getValue(), flat));
        } else if (!node.isMissingNode() && !node.isNull()) {
            flat.put(prefix, node.asText());
        }
    }

    private static String log4jProperties() {
        return String.join("\n",
                "# Log4j 2 for the cluster's processes: one file each (-Dlog.file), Flink and the job at INFO.",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = file",
                "appender.file.name = file",
                "appender.file.type = File",
                "appender.file.fileName = ${sys:log.file}",
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p [%t] %c{1} - %m%n",
                "logger.kafka.name = org.apache.kafka",
                "logger.kafka.level = WARN",
                "logger.pekko.name = org.apache.pekko",
                "logger.pekko.level = WARN",
                "");
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
