package io.llmstream.record;

import java.util.Locale;

/** Why a prompt became a dead letter. Written in snake_case ({@code rate_limited}) in the JSON. */
public enum ErrorKind {
    /** The input record is not a valid prompt (bad JSON, missing prompt, unknown model, too large). */
    INVALID_INPUT,
    /** The API refused the request as malformed (400, 422). */
    BAD_REQUEST,
    /** The API refused the key (401, 403). */
    AUTH,
    /** The API does not know the model or path (404). */
    NOT_FOUND,
    /** The prompt plus max_tokens does not fit the model's context. */
    CONTEXT_LENGTH_EXCEEDED,
    /** The account is out of quota or credit (insufficient_quota). */
    QUOTA_EXCEEDED,
    /** Still rate limited (429) when the attempts or the deadline ran out. */
    RATE_LIMITED,
    /** The API failed (5xx, 409) on every attempt. */
    SERVER_ERROR,
    /** The deadline passed before an answer arrived, or the API timed out itself (408) on every attempt. */
    TIMEOUT,
    /** Connecting or talking to the API failed (refused, reset, DNS). */
    CONNECTION,
    /** The API answered 2xx with a body that is not a chat completion. */
    MALFORMED_RESPONSE,
    /** A bug in llmstream; the message says what. */
    INTERNAL,
    /**
     * The answer came, but its completion record is larger than a Kafka record may be
     * ({@code max.request.size}), so it could never be written. Kinds only ever grow at the end: metrics
     * windows count failures by ordinal.
     */
    OUTPUT_TOO_LARGE,
    /**
     * With {@code records.answer: json}: the model's answer was not JSON, or not JSON the response format's
     * schema allows, on every attempt. The dead letter keeps the last answer.
     */
    INVALID_ANSWER,
    /** The prompt's tenant has spent its {@code spend-per-day} for the UTC day ({@code when-spent: dead-letter}). */
    SPEND_LIMIT;

    /** The JSON spelling, e.g. {@code rate_limited}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
