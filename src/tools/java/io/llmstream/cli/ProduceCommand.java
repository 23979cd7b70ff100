package io.llmstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.job.Args;
import io.llmstream.local.TopicWriter;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code produce}: writes prompts to a topic, one JSON value per line of a file, or generated samples. */
final class ProduceCommand implements Main.Command {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public int run(List<String> args, PrintStream out) throws Exception {
        Args parsed = Args.parse(args, Set.of(), Set.of("bootstrap-servers", "topic", "file", "sample", "model"));
        String bootstrap = parsed.get("bootstrap-servers", "127.0.0.1:9092");
        String topic = parsed.get("topic", "prompts");
        List<String> values;
        if (parsed.has("sample")) {
            if (parsed.has("file")) {
                throw new Args.UsageException("give --file or --sample, not both");
            }
            values = samples(parsed.getInt("sample", 0, 1, 10_000_000), parsed.get("model", null));
        } else {
            values = lines(parsed.get("file", "-"));
        }
        long started = System.nanoTime();
        TopicWriter.write(bootstrap, topic, values);
        out.printf("produce: wrote %,d prompts to %s on %s in %.1f s%n", values.size(), topic, bootstrap,
                (System.nanoTime() - started) / 1e9);
        return 0;
    }

    private static List<String> samples(int count, String model) {
        List<String> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ObjectNode prompt = JSON.createObjectNode()
                    .put("id", "sample-" + i)
                    .put("prompt", "Write a one-line product description for item number " + i + ".")
                    .put("max_tokens", 64);
            if (model != null) {
                prompt.put("model", model);
            }
            values.add(prompt.toString());
        }
        return values;
    }

    private static List<String> lines(String file) throws Exception {
        List<String> values = new ArrayList<>();
        try (BufferedReader reader = file.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    values.add(line);
                }
            }
        }
        return values;
    }

    @Override
    public String summary() {
        return "write prompts to a topic: JSON lines from a file or stdin, or --sample N";
    }

    @Override
    public String usage() {
        return "usage: java -jar llmstream.jar produce [--bootstrap-servers 127.0.0.1:9092] [--topic prompts]\n"
                + "                                    (--file prompts.jsonl | --sample N [--model NAME])\n"
                + "  --file F     one JSON prompt per line; - (the default) reads standard input\n"
                + "  --sample N   N generated prompts with ids sample-0 ... sample-<N-1>";
    }
}
