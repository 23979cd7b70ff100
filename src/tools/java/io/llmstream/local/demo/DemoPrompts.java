package io.llmstream.local.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The demo's input: prompts of a few everyday kinds for two models and two teams, and a handful of records that are
 * deliberately wrong, to show that bad input becomes dead letters and never stops the job. One prompt in
 * {@value #REPEAT_EVERY} is a frequently asked one, sent again and again under new ids: the small model's
 * cache answers the repeats.
 */
final class DemoPrompts {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] TASKS = {
        "Translate to French: %s",
        "Summarize in one sentence: %s",
        "Classify the sentiment (positive, negative, neutral) of: %s",
        "Extract the product names from: %s",
    };
    private static final String[] TEXTS = {
        "the delivery arrived two days late but the support team was very helpful",
        "I love the new keyboard, the keys feel great and the battery lasts for weeks",
        "the app crashes every time I open the settings page on my phone",
        "our quarterly revenue grew by twelve percent thanks to the new subscription plan",
        "the hotel room was clean, quiet and close to the train station",
        "please cancel my order of the blue running shoes and the water bottle",
    };
    /** Records that are not valid prompts, each for a different reason. */
    private static final String[] INVALID = {
        "{\"id\": \"bad-json\", \"prompt\": ",
        "{\"id\": \"bad-no-prompt\", \"temperature\": 0.1}",
        "{\"id\": \"bad-model\", \"prompt\": \"hello\", \"model\": \"gpt-9-ultra\"}",
        "{\"id\": \"bad-both\", \"prompt\": \"hi\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
        "{\"id\": \"bad-max-tokens\", \"prompt\": \"hi\", \"max_tokens\": -1}",
        "{\"id\": \"bad-stream\", \"prompt\": \"hi\", \"stream\": true}",
        "[\"not\", \"an\", \"object\"]",
        "{\"id\": \"bad-priority\", \"prompt\": \"hi\", \"priority\": \"urgent\"}",
    };
    /** Valid prompts that the (mock) provider refuses: they end as dead letters after one attempt. */
    private static final String[] REFUSED = {
        "{\"id\": \"refused-context\", \"prompt\": \"[[mock:context_length_exceeded]] a very long document\"}",
        "{\"id\": \"refused-request\", \"prompt\": \"[[mock:400]] a request the provider rejects\"}",
    };

    /** The two teams that share the models: one prompt in three is support's. */
    static final String ANALYTICS = "analytics";
    static final String SUPPORT = "support";

    /** Every so many prompts is one of the few frequently asked ones. */
    static final int REPEAT_EVERY = 4;

    private DemoPrompts() {}

    /** {@code count} records in total, the wrong ones spread through the valid ones. */
    static List<String> generate(int count, String bigModel, String smallModel) {
        Random random = new Random(20261124);
        List<String> values = new ArrayList<>(count);
        int special = INVALID.length + REFUSED.length;
        int spacing = count / (special + 1);
        int nextSpecial = 0;
        for (int i = 0; values.size() < count; i++) {
            if (nextSpecial < special && i == (nextSpecial + 1) * spacing) {
                values.add(nextSpecial < INVALID.length ? INVALID[nextSpecial] : REFUSED[nextSpecial - INVALID.length]);
                nextSpecial++;
                continue;
            }
            String text = TEXTS[random.nextInt(TEXTS.length)];
            // Without the number, the same task and text make the same request again.
            String prompt = String.format(TASKS[i % TASKS.length], text)
                    + (i % REPEAT_EVERY == 1 ? "" : " (#" + i + ")");
            ObjectNode json = JSON.createObjectNode()
                    .put("id", String.format("demo-%04d", i))
                    .put("model", i % 6 == 0 ? bigModel : smallModel)
                    .put("prompt", prompt)
                    .put("max_tokens", 64)
                    .put("priority", random.nextInt(3))
                    .put("tenant", i % 3 == 0 ? SUPPORT : ANALYTICS);
            json.putObject("metadata").put("source", "demo").put("n", i);
            values.add(json.toString());
        }
        return values;
    }

    /** How many of {@link #generate}'s records are invalid input. */
    static int invalidCount() {
        return INVALID.length;
    }

    /** How many are valid but refused by the provider. */
    static int refusedCount() {
        return REFUSED.length;
    }
}
