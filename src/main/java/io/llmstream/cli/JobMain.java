package io.llmstream.cli;

import io.llmstream.config.ConfigException;

import java.util.List;
import java.util.Set;

/** Entry point of {@code llmstream-job.jar}: {@code flink run llmstream-job.jar --config conf/llmstream.yaml}. */
public final class JobMain {
    private JobMain() {}

    public static void main(String[] args) throws Exception {
        try {
            Args parsed = Args.parse(List.of(args), Set.of(), Set.of("config"));
            JobRunner.run(parsed.all("config"), System.out);
        } catch (ConfigException | Args.UsageException e) {
            System.err.println("llmstream: " + e.getMessage());
            throw e;
        }
    }
}
