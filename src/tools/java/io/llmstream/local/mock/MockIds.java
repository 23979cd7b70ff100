package io.llmstream.local.mock;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Ids shaped like OpenAI's ({@code file-...}, {@code batch_...}, {@code batch_req_...}): a prefix and 24 letters
 * and digits. Random rather than counted, so ids of two servers (or two runs) never meet in one client's state.
 */
final class MockIds {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final int LENGTH = 24;

    private MockIds() {}

    static String next(String prefix) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        StringBuilder id = new StringBuilder(prefix.length() + LENGTH).append(prefix);
        for (int i = 0; i < LENGTH; i++) {
            id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }
}
