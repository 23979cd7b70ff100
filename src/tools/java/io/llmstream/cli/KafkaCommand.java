package io.llmstream.cli;

import io.llmstream.job.Args;
import io.llmstream.local.kafka.EmbeddedKafkaBroker;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code kafka}: a real single-node KRaft broker for local runs, until Ctrl-C. */
final class KafkaCommand implements Main.Command {
    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Args parsed = Args.parse(args, Set.of(), Set.of("port", "dir", "partitions", "topics"));
        int port = parsed.getInt("port", 9092, 0, 65535);
        int partitions = parsed.getInt("partitions", 1, 1, 1000);
        String dir = parsed.get("dir", null);
        EmbeddedKafkaBroker.Options options = EmbeddedKafkaBroker.Options.defaults()
                .withPort(port)
                .withDirectory(dir == null ? null : Path.of(dir))
                .withDefaultPartitions(partitions);
        CountDownLatch stopped = new CountDownLatch(1);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(options)) {
            for (String topic : parsed.get("topics", "").split(",")) {
                if (!topic.isBlank()) {
                    broker.createTopic(topic.trim(), partitions);
                }
            }
            out.println("kafka: KRaft broker (Kafka 4.2.0) on " + broker.bootstrapServers() + ", data in "
                    + broker.directory() + (dir == null ? " (deleted on exit)" : "") + "; Ctrl-C stops it");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                broker.close();
                stopped.countDown();
            }, "kafka-shutdown"));
            stopped.await();
        }
        return 0;
    }

    @Override
    public String summary() {
        return "a local single-node KRaft Kafka broker (--port 9092 --dir DIR)";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar kafka [--port 9092] [--dir DIR] [--partitions 1] [--topics a,b]\n"
                + "  --port N        client port (0 picks a free one), default 9092\n"
                + "  --dir DIR       data directory, kept across restarts; default a temporary one\n"
                + "  --partitions N  partitions of created and auto-created topics, default 1\n"
                + "  --topics a,b    topics to create at start";
    }
}
