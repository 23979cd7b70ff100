package io.llmstream.call.merge;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * The answers of a merged reply, {@code {"answers": [{"index": i, "answer": "..."}, ...]}}, mapped back to
 * the prompts by index. A prompt gets an answer only if the reply holds exactly one entry with its index
 * and a string answer; a reply that is not such a JSON object answers none. Entries with an index that
 * names no prompt are ignored: they answer nothing, and never take another prompt's place.
 */
final class MergedAnswers {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final List<String> answers;
    private final String problem;

    private MergedAnswers(List<String> answers, String problem) {
        this.answers = answers;
        this.problem = problem;
    }

    /** The answer of prompt {@code index}; null if it did not get exactly one. */
    String answer(int index) {
        return answers.get(index);
    }

    /** How many prompts got their answer. */
    int answered() {
        return (int) answers.stream().filter(answer -> answer != null).count();
    }

    /** What was wrong with the reply, for the log; null if every prompt got exactly one answer. */
    String problem() {
        return problem;
    }

    /** Maps the reply {@code content} of a merged request of {@code prompts} prompts. */
    static MergedAnswers parse(String content, int prompts) {
        List<String> none = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            none.add(null);
        }
        JsonNode root;
        try {
            root = content == null ? null : JSON.readTree(content);
        } catch (JsonProcessingException e) {
            return new MergedAnswers(none, "the reply is not JSON");
        }
        JsonNode list = root == null ? null : root.get("answers");
        if (list == null || !list.isArray()) {
            return new MergedAnswers(none, "the reply is not an object with an \"answers\" array");
        }
        int[] seen = new int[prompts];
        String[] found = new String[prompts];
        int unknown = 0;
        int unusable = 0;
        for (JsonNode entry : list) {
            JsonNode index = entry.get("index");
            if (index == null || !index.isIntegralNumber() || !index.canConvertToInt() || index.asInt() < 0
                    || index.asInt() >= prompts) {
                unknown++;
                continue;
            }
            int i = index.asInt();
            seen[i]++;
            JsonNode answer = entry.get("answer");
            if (answer != null && answer.isTextual()) {
                found[i] = answer.asText();
            } else {
                unusable++;
            }
        }
        List<String> answers = new ArrayList<>(prompts);
        int missing = 0;
        int repeated = 0;
        for (int i = 0; i < prompts; i++) {
            if (seen[i] == 0) {
                missing++;
            } else if (seen[i] > 1) {
                repeated++;
            }
            answers.add(seen[i] == 1 ? found[i] : null);
        }
        List<String> problems = new ArrayList<>();
        if (missing > 0) {
            problems.add(missing + " missing");
        }
        if (repeated > 0) {
            problems.add(repeated + " answered more than once");
        }
        if (unknown > 0) {
            problems.add(unknown + " under an unknown index");
        }
        if (unusable > 0) {
            problems.add(unusable + " not a string");
        }
        return new MergedAnswers(answers, problems.isEmpty() ? null : String.join(", ", problems));
    }
}
