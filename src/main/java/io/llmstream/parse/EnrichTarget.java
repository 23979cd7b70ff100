package io.llmstream.parse;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmstream.config.FieldPath;

/**
 * With {@code records.output: enrich}, whether a record has room for the answer (and the facts) at the
 * configured paths: the field itself must be absent, and whatever part of its path exists must be objects.
 * A record without room is refused before any tokens are spent on it, rather than have one of its own
 * fields overwritten.
 */
final class EnrichTarget {
    private final FieldPath field;
    private final FieldPath metaField;

    EnrichTarget(FieldPath field, FieldPath metaField) {
        this.field = field;
        this.metaField = metaField;
    }

    /** Why the answer cannot be added to the record; null if it can. */
    String problem(JsonNode record) {
        String problem = problem(record, field, "records.field");
        return problem != null || metaField == null ? problem : problem(record, metaField, "records.meta-field");
    }

    private static String problem(JsonNode record, FieldPath path, String key) {
        JsonNode node = record;
        StringBuilder at = new StringBuilder();
        for (int i = 0; i < path.segments().size(); i++) {
            String segment = path.segments().get(i);
            at.append(i == 0 ? "" : ".").append(segment);
            JsonNode next = node.get(segment);
            if (next == null) {
                return null;
            }
            if (i == path.segments().size() - 1) {
                return "the record already has the field " + path + ", where " + key + " puts the "
                        + (key.equals("records.field") ? "answer" : "facts of the call")
                        + "; it is not overwritten";
            }
            if (!next.isObject()) {
                return "the record's field " + at + " is not an object, so " + key + " (" + path
                        + ") cannot be added to it";
            }
            node = next;
        }
        return null;
    }
}
