package io.llmstream.local.llama;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * llama.cpp's {@code llama-server} from Debian unstable's {@code llama.cpp-tools}, unpacked with the C and
 * C++ libraries it needs into a folder of its own, so it runs on a Debian 12 machine without installing
 * anything: a private apt configuration downloads the packages, {@code dpkg-deb -x} unpacks them, and the
 * folder's own dynamic loader starts the server.
 *
 * <p>The folder is {@code ${user.home}/.cache/llmstream/llama.cpp/<package version>/root} (the version's
 * epoch colon written as {@code _}, since a colon would split the loader's library path). It survives fresh
 * clones, so only the first run downloads; every later run finds it without the network. Each download
 * unpacks into a temporary folder and renames it into place, so a half-unpacked root is never found.
 *
 * <p>Where the server cannot be had (no network to the archive, no apt, not x86_64 Linux) this is an
 * install that is not {@link #isAvailable() available}, with a one-line {@link #unavailableReason() reason}.
 */
public final class LlamaServerInstall {
    /** The server, its libraries and the newer C runtime they need, as Debian names them. */
    public static final List<String> PACKAGES = List.of("llama.cpp-tools", "libllama0", "libggml0", "libc6",
            "libstdc++6", "libgcc-s1", "libgomp1", "libssl3t64");
    /** How long a first download, unpacking included, may take before the install counts as unavailable. */
    public static final Duration DOWNLOAD_LIMIT = Duration.ofMinutes(3);

    private static final Logger LOG = LoggerFactory.getLogger(LlamaServerInstall.class);
    private static final String SERVER_PACKAGE = "llama.cpp-tools";
    private static final String LIB = "usr/lib/x86_64-linux-gnu";
    private static final String SERVER = "usr/bin/llama-server";
    private static LlamaServerInstall shared;

    private final Path root;
    private final String version;
    private final String unavailableReason;

    private LlamaServerInstall(Path root, String version, String unavailableReason) {
        this.root = root;
        this.version = version;
        this.unavailableReason = unavailableReason;
    }

    private static LlamaServerInstall unavailable(String reason) {
        return new LlamaServerInstall(null, null, reason);
    }

    /** The install in the default cache, looked up (and downloaded if need be) once per JVM. */
    public static synchronized LlamaServerInstall shared() {
        if (shared == null) {
            shared = findOrDownload(defaultCache(), DOWNLOAD_LIMIT);
        }
        return shared;
    }

    /** {@code ${user.home}/.cache/llmstream/llama.cpp}. */
    public static Path defaultCache() {
        return Path.of(System.getProperty("user.home"), ".cache", "llmstream", "llama.cpp");
    }

    /** The newest root already in the cache, or else one downloaded into it within the time limit. */
    public static LlamaServerInstall findOrDownload(Path cache, Duration limit) {
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return unavailable("Debian's llama-server needs Linux on x86_64, this is " + os + " on " + arch);
        }
        Optional<LlamaServerInstall> cached = cached(cache);
        if (cached.isPresent()) {
            return cached.get();
        }
        for (String tool : List.of("apt-get", "dpkg-deb")) {
            if (!onPath(tool)) {
                return unavailable(tool + " is not on the PATH, so " + SERVER_PACKAGE + " cannot be downloaded");
            }
        }
        Optional<DebianArchive> archive = DebianArchive.fromMachine();
        if (archive.isEmpty()) {
            return unavailable("no Debian mirror is named in /etc/apt/sources.list or /etc/apt/sources.list.d");
        }
        return download(cache, archive.get(), limit);
    }

    /** Downloads and unpacks the packages from a Debian mirror's unstable suite into the cache. */
    public static LlamaServerInstall download(Path cache, DebianArchive archive, Duration limit) {
        long started = System.nanoTime();
        Path work = null;
        try {
            Files.createDirectories(cache);
            work = Files.createTempDirectory(cache, ".download-");
            LOG.info("Downloading {} and its libraries from Debian unstable into {} (once; later runs reuse it)",
                    SERVER_PACKAGE, cache);
            return new Download(work, archive, limit, started).run(cache, started);
        } catch (IOException e) {
            return unavailable("could not unpack " + SERVER_PACKAGE + " under " + cache + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unavailable("interrupted while downloading " + SERVER_PACKAGE);
        } finally {
            deleteQuietly(work);
        }
    }

    /** The steps of one download, in a private work folder: apt's lists, the packages, the unpacked root. */
    private static final class Download {
        private final Path work;
        private final DebianArchive archive;
        private final Duration limit;
        private final long deadline;

        Download(Path work, DebianArchive archive, Duration limit, long started) {
            this.work = work;
            this.archive = archive;
            this.limit = limit;
            this.deadline = started + limit.toNanos();
        }

        LlamaServerInstall run(Path cache, long started) throws IOException, InterruptedException {
            try {
                List<Path> packages = downloadPackages();
                String version = versionOf(packages);
                Path unpacked = unpack(packages);
                Path root = moveIntoPlace(unpacked, cache.resolve(version));
                LOG.info("llama-server {} ready in {} after {} ms ({} MB of packages)", version, root,
                        (System.nanoTime() - started) / 1_000_000, megabytes(packages));
                return new LlamaServerInstall(root, version, null);
            } catch (Unavailable e) {
                return unavailable(e.getMessage());
            }
        }

        private List<Path> downloadPackages() throws IOException, InterruptedException, Unavailable {
            Path debs = Files.createDirectories(work.resolve("debs"));
            Files.createDirectories(work.resolve("lists/partial"));
            Files.createDirectories(work.resolve("cache/archives/partial"));
            Files.writeString(work.resolve("sources.list"), archive.unstableSourceLine() + "\n");
            Files.writeString(work.resolve("status"), "");
            TimedCommand update = step(apt("update"), work, "apt-get-update.log");
            if (!update.timedOut() && !hasPackageLists(work.resolve("lists"))) {
                throw new Unavailable("the Debian archive at " + archive.uri() + " is unreachable: "
                        + update.firstComplaint());
            }
            require(update, "apt-get update");
            List<String> download = apt("download");
            download.addAll(PACKAGES);
            require(step(download, debs, "apt-get-download.log"), "apt-get download " + SERVER_PACKAGE);
            return list(debs);
        }

        /** The server package's Debian version, its epoch colon written as {@code _}. */
        private String versionOf(List<Path> packages) throws IOException, InterruptedException, Unavailable {
            Path server = packages.stream().filter(p -> p.getFileName().toString().startsWith(SERVER_PACKAGE + "_"))
                    .findFirst().orElseThrow(() -> new Unavailable(SERVER_PACKAGE + " is not among " + packages));
            TimedCommand version = require(step(List.of("dpkg-deb", "-f", server.toString(), "Version"), work,
                    "version.log"), "dpkg-deb -f " + server.getFileName());
            if (version.output().isEmpty()) {
                throw new Unavailable(server.getFileName() + " names no version");
            }
            return version.output().get(0).strip().replace(':', '_');
        }

        /** Unpacks every package into one folder and checks that the server runs from it. */
        private Path unpack(List<Path> packages) throws IOException, InterruptedException, Unavailable {
            Path unpacked = work.resolve("root");
            for (Path deb : packages) {
                require(step(List.of("dpkg-deb", "-x", deb.toString(), unpacked.toString()), work, "unpack.log"),
                        "dpkg-deb -x " + deb.getFileName());
            }
            require(step(command(unpacked, List.of("--version")).directory(work.toFile()), "version-check.log"),
                    "the unpacked llama-server --version");
            return unpacked;
        }

        private TimedCommand require(TimedCommand result, String what) throws Unavailable {
            if (result.timedOut()) {
                throw new Unavailable("downloading " + SERVER_PACKAGE + " took longer than " + limit.toMillis()
                        + " ms, the limit (at " + what + ")");
            }
            if (!result.succeeded()) {
                throw new Unavailable(what + " failed (exit " + result.exitCode() + "): " + result.firstComplaint());
            }
            return result;
        }

        /**
         * apt-get with its own sources, lists, cache and an empty dpkg status, so it reads and writes nothing
         * of the machine's apt state. It downloads as the calling user (apt's {@code _apt} user cannot write
         * into a home folder) and retries a failed fetch once.
         */
        private List<String> apt(String verb) {
            Path lists = work.resolve("lists");
            return new ArrayList<>(List.of("apt-get", "-q",
                    "-o", "Dir::Etc::sourcelist=" + work.resolve("sources.list"),
                    "-o", "Dir::Etc::sourceparts=-",
                    "-o", "Dir::State::Lists=" + lists,
                    "-o", "Dir::State::status=" + work.resolve("status"),
                    "-o", "Dir::Cache=" + work.resolve("cache"),
                    "-o", "APT::Sandbox::User=root",
                    "-o", "Acquire::Retries=1",
                    verb));
        }

        private TimedCommand step(List<String> command, Path dir, String log) throws IOException, InterruptedException {
            return step(new ProcessBuilder(command).directory(dir.toFile()), log);
        }

        private TimedCommand step(ProcessBuilder process, String log) throws IOException, InterruptedException {
            return TimedCommand.run(process, work.resolve(log), remaining());
        }

        private Duration remaining() {
            return Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0));
        }
    }

    /** Why a download step gave up, as the one-line reason of an unavailable install. */
    private static final class Unavailable extends Exception {
        Unavailable(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Renames the unpacked root into place; if another run got there first, its root is as good. */
    private static Path moveIntoPlace(Path unpacked, Path versionDir) throws IOException {
        Files.createDirectories(versionDir);
        Path root = versionDir.resolve("root");
        try {
            Files.move(unpacked, root, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            LOG.info("Another run unpacked {} first; using it", root);
        }
        return root;
    }

    /** The newest finished root in the cache; the temporary folders of downloads under way start with a dot. */
    public static Optional<LlamaServerInstall> cached(Path cache) {
        if (!Files.isDirectory(cache)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(cache)) {
            return versions.filter(dir -> !dir.getFileName().toString().startsWith("."))
                    .filter(dir -> Files.isRegularFile(dir.resolve("root").resolve(SERVER)))
                    .max(Comparator.comparing(dir -> dir.getFileName().toString()))
                    .map(dir -> new LlamaServerInstall(dir.resolve("root"), dir.getFileName().toString(), null));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether the server can be started. */
    public boolean isAvailable() {
        return root != null;
    }

    /** Why the server cannot be started, in one line; empty when it can. */
    public String unavailableReason() {
        return isAvailable() ? "" : unavailableReason;
    }

    /** The unpacked root, with {@code usr/bin/llama-server} in it. */
    public Path root() {
        requireAvailable();
        return root;
    }

    /** The Debian version of {@code llama.cpp-tools}, its epoch colon written as {@code _}. */
    public String version() {
        requireAvailable();
        return version;
    }

    /**
     * A process that runs {@code llama-server} with these arguments through the root's own loader and
     * libraries. Variables of the environment that llama-server would read as options ({@code LLAMA_*})
     * are left out, so only the arguments configure it.
     */
    public ProcessBuilder serverProcess(List<String> arguments) {
        return command(root(), arguments);
    }

    private static ProcessBuilder command(Path root, List<String> arguments) {
        Path lib = root.resolve(LIB);
        List<String> command = new ArrayList<>(List.of(lib.resolve("ld-linux-x86-64.so.2").toString(),
                "--library-path", lib.resolve("llama") + ":" + lib, root.resolve(SERVER).toString()));
        command.addAll(arguments);
        ProcessBuilder process = new ProcessBuilder(command);
        process.environment().keySet().removeIf(name -> name.startsWith("LLAMA_"));
        process.environment().put("GGML_BACKEND_PATH",
                lib.resolve("ggml/backends0/libggml-cpu-x64.so").toString());
        return process;
    }

    private void requireAvailable() {
        if (!isAvailable()) {
            throw new IllegalStateException("llama-server is unavailable: " + unavailableReason);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasPackageLists(Path lists) throws IOException {
        return list(lists).stream().anyMatch(p -> p.getFileName().toString().contains("_Packages"));
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static long megabytes(List<Path> files) throws IOException {
        long bytes = 0;
        for (Path file : files) {
            bytes += Files.size(file);
        }
        return Math.round(bytes / 1e6);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.warn("Could not delete the download folder {}: {}", dir, e.toString());
        }
    }

    @Override
    public String toString() {
        return isAvailable() ? "llama-server " + version + " at " + root : "llama-server unavailable: "
                + unavailableReason;
    }
}
