package io.llmstream.cli;

import io.llmstream.job.Args;
import io.llmstream.local.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * {@code consume}: prints a topic from its beginning, one record per line as key, a tab and the value (with
 * {@code --headers}, the headers too), until it has been quiet for a moment. No consumer group: nothing is
 * committed, so it can be run again and again.
 */
final class ConsumeCommand implements Main.Command {

    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Args parsed = Args.parse(args, Set.of("headers"), Set.of("bootstrap-servers", "topic", "max", "quiet-ms", "headers"));
        String bootstrap = parsed.get("bootstrap-servers", "127.0.0.1:9092");
        String topic = parsed.get("topic", "completions");
        int max = parsed.getInt("max", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
        Duration quiet = Duration.ofMillis(parsed.getInt("quiet-ms", 3000, 100, 600_000));
        boolean headers = parsed.has("headers");
        int printed = 0;
        try (TopicReader reader = new TopicReader(bootstrap, List.of(topic), false)) {
            List<ConsumerRecord<String, String>> records;
            do {
                records = reader.poll(quiet);
                for (ConsumerRecord<String, String> record : records) {
                    if (printed == max) {
                        return 0;
                    }
                    StringBuilder line = new StringBuilder().append(record.key()).append('\t');
                    if (headers) {
                        for (Header header : record.headers()) {
                            line.append(header.key()).append('=')
                                    .append(new String(header.value(), StandardCharsets.UTF_8)).append(' ');
                        }
                        line.append('\t');
                    }
                    out.println(line.append(record.value()));
                    printed++;
                }
            } while (!records.isEmpty());
        }
        return 0;
    }

    @Override
    public String summary() {
        return "print a topic from its beginning: key, tab, value per line";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar consume [--bootstrap-servers 127.0.0.1:9092] [--topic completions]\n"
                + "                                    [--max N] [--headers] [--quiet-ms 3000]\n"
                + "  --headers     the headers too (key=value ...), between key and value\n"
                + "  --quiet-ms    stop once no record came for this long";
    }
}
