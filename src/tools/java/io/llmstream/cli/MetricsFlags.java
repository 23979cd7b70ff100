package io.llmstream.cli;

import io.llmstream.config.ConfigLoader;
import io.llmstream.config.KafkaSettings;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.MetricsSettings;
import io.llmstream.job.Args;
import io.llmstream.observe.MetricsTopic;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where {@code stats} and {@code report} find the metrics: the flags, else the job's {@code --config}
 * files (kafka.bootstrap-servers, kafka.topics.metrics, kafka.properties, metrics.window), else the
 * defaults the job would use.
 *
 * @param window the job's metrics window
 */
record MetricsFlags(MetricsTopic topic, Duration window) {
    static final Set<String> NAMES = Set.of("bootstrap-servers", "topic", "config");
    static final String USAGE = ""
            + "  --bootstrap-servers H:P  Kafka; default kafka.bootstrap-servers of --config, else "
            + KafkaSettings.BOOTSTRAP_SERVERS.defaultValue() + "\n"
            + "  --topic T                the metrics topic; default kafka.topics.metrics of --config, else "
            + KafkaSettings.Topics.METRICS.defaultValue() + "\n"
            + "  --config FILE            the job's YAML configuration (repeatable, later files win); its\n"
            + "                           kafka.properties (security, SASL) apply to the reader too";

    /** Reads the flags, loading the --config files if any are given. */
    static MetricsFlags read(Args parsed) {
        List<String> files = parsed.all("config");
        String bootstrap = KafkaSettings.BOOTSTRAP_SERVERS.defaultValue();
        String topic = KafkaSettings.Topics.METRICS.defaultValue();
        Map<String, String> properties = Map.of();
        Duration window = MetricsSettings.WINDOW.defaultValue();
        if (!files.isEmpty()) {
            LlmStreamConfig config = new ConfigLoader().load(files.stream().map(Path::of).toList());
            bootstrap = config.kafka().bootstrapServers();
            topic = config.kafka().topics().metrics();
            properties = config.kafka().properties();
            window = config.metrics().window();
        }
        if (parsed.has("window-seconds")) {
            window = Duration.ofSeconds(parsed.getInt("window-seconds", 10, 1, 86_400));
        }
        return new MetricsFlags(new MetricsTopic(parsed.get("bootstrap-servers", bootstrap),
                parsed.get("topic", topic), properties), window);
    }
}
