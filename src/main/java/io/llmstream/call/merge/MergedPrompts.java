package io.llmstream.call.merge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmstream.config.ModelSettings;
import io.llmstream.record.LlmRequest;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which requests may share a merged request, under which key, and the merged request's body: a system
 * message that asks for {@code {"answers": [{"index": i, "answer": "..."}]}}, then one user message that is
 * exactly {@code {"prompts": [{"index": i, "prompt": "..."}]}}, and {@code response_format} JSON.
 *
 * <p>Only a single user message with text content merges: a system message of the prompt's own would
 * clash with the one the merge needs. Parameters that shape the answer of one prompt — tools, its own
 * response format, stop sequences (they would cut the JSON), log-probabilities, streaming, other
 * modalities — make a request go alone. The rest of the parameters must be identical; only
 * {@code max_tokens} may differ, and the merged request gets the sum.
 */
final class MergedPrompts {
    /** What the merged request's system message asks of the model. */
    static final String SYSTEM_MESSAGE = "You answer several independent prompts at once. The user message is a "
            + "JSON object {\"prompts\": [{\"index\": 0, \"prompt\": \"...\"}, ...]}. Answer every prompt on its "
            + "own, exactly as if it were the only message you had been sent, and reply with nothing but a JSON "
            + "object {\"answers\": [{\"index\": 0, \"answer\": \"...\"}, ...]}: exactly one answer for every "
            + "index, each answer a string under the index of its prompt.";
    /** Completion tokens the JSON around one answer takes ({@code {"index": 12, "answer": "..."}, }), escapes included. */
    static final int ANSWER_OVERHEAD_TOKENS = 16;
    /** Completion tokens of {@code {"answers": [ ... ]}}. */
    static final int REPLY_OVERHEAD_TOKENS = 8;
    /** Prompt tokens the JSON around one prompt takes, escapes included. */
    static final int PROMPT_OVERHEAD_TOKENS = 12;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ALONE_PARAMETERS = Set.of("tools", "tool_choice", "functions", "function_call",
            "parallel_tool_calls", "response_format", "stop", "logprobs", "top_logprobs", "stream", "stream_options",
            "prediction", "audio", "modalities");
    private static final List<String> MAX_TOKENS_FIELDS = List.of("max_tokens", "max_completion_tokens");

    private MergedPrompts() {}

    /**
     * A request that may merge.
     *
     * @param key requests with equal keys may share a merged request: model, shard and parameters
     * @param prompt the text of its one user message
     * @param parameters its body without messages: the parameters the merged request carries
     */
    record Mergeable(String key, String prompt, ObjectNode parameters) {}

    /** The request as a mergeable one; null if it must go alone. */
    static Mergeable of(LlmRequest request, int shard) {
        JsonNode body;
        try {
            body = JSON.readTree(request.body());
        } catch (JsonProcessingException e) {
            return null;
        }
        if (body == null || !body.isObject()) {
            return null;
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.size() != 1) {
            return null;
        }
        JsonNode message = messages.get(0);
        if (!message.isObject() || message.size() != 2 || !"user".equals(message.path("role").asText())
                || !message.path("content").isTextual()) {
            return null;
        }
        ObjectNode parameters = ((ObjectNode) body).deepCopy();
        parameters.remove("messages");
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = parameters.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (ALONE_PARAMETERS.contains(field.getKey())) {
                return null;
            }
            // max_tokens may differ: the merged request asks for the sum. Which field is used must not.
            sorted.put(field.getKey(), MAX_TOKENS_FIELDS.contains(field.getKey())
                    ? JSON.getNodeFactory().textNode("*") : field.getValue());
        }
        JsonNode n = parameters.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asInt() == 1)) {
            return null;
        }
        // Prompts of different tenants are never merged: each tenant pays for, and is counted in, its own calls.
        String key = request.model() + "\n" + shard + "\n" + request.tenant() + "\n" + JSON.valueToTree(sorted);
        return new Mergeable(key, message.path("content").asText(), parameters);
    }

    /** The most tokens (prompt and completion) a merged request of the model may need; none if unlimited. */
    static long tokenLimit(ModelSettings model) {
        long limit = Long.MAX_VALUE;
        if (model.contextWindow() > 0) {
            limit = model.contextWindow();
        }
        if (model.hasTpmLimit()) {
            limit = Math.min(limit, model.tpm());
        }
        return limit;
    }

    /** The completion tokens a merged request needs: each prompt's own budget plus the JSON around the answers. */
    static int maxTokens(List<Integer> budgets) {
        long sum = REPLY_OVERHEAD_TOKENS;
        for (int budget : budgets) {
            sum += budget + ANSWER_OVERHEAD_TOKENS;
        }
        return (int) Math.min(Integer.MAX_VALUE, sum);
    }

    /** The user message of a merged request: exactly {@code {"prompts": [{"index": i, "prompt": "..."}, ...]}}. */
    static String userMessage(List<String> prompts) {
        ObjectNode json = JSON.createObjectNode();
        ArrayNode list = json.putArray("prompts");
        for (int i = 0; i < prompts.size(); i++) {
            list.addObject().put("index", i).put("prompt", prompts.get(i));
        }
        return json.toString();
    }

    /**
     * The merged request's body: the members' parameters, the system message, the prompts, JSON as the
     * response format, and {@code maxTokens} in whichever max-tokens fields the members used (none if
     * they used none: the model's default then holds, and the budget still charges {@code maxTokens}).
     */
    static ObjectNode body(ObjectNode parameters, List<String> prompts, int maxTokens) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", SYSTEM_MESSAGE);
        messages.addObject().put("role", "user").put("content", userMessage(prompts));
        body.setAll(parameters.deepCopy());
        for (String field : MAX_TOKENS_FIELDS) {
            if (parameters.has(field) && !parameters.get(field).isNull()) {
                body.put(field, maxTokens);
            }
        }
        body.putObject("response_format").put("type", "json_object");
        return body;
    }
}
