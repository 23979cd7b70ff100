package io.llmstream.it.llama;

import io.llmstream.local.llama.TinyGgufModel;
import io.llmstream.local.llama.TinyVocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TinyGgufModelTest {

    @Test
    void writesTheSameBytesEveryTime(@TempDir Path first, @TempDir Path second) throws Exception {
        byte[] once = Files.readAllBytes(TinyGgufModel.writeTo(first));
        byte[] again = Files.readAllBytes(TinyGgufModel.writeTo(second));

        assertThat(once).isEqualTo(again);
        assertThat(once.length).isBetween(100_000, 1_000_000);
    }

    @Test
    void startsWithAVersion3GgufHeaderCountingTensorsAndKeys() {
        ByteBuffer header = ByteBuffer.wrap(TinyGgufModel.bytes()).order(ByteOrder.LITTLE_ENDIAN);

        assertThat(new byte[] {header.get(), header.get(), header.get(), header.get()}).asString().isEqualTo("GGUF");
        assertThat(header.getInt()).as("version").isEqualTo(3);
        assertThat(header.getLong()).as("tensors: embeddings, output norm and output, 9 per layer")
                .isEqualTo(3 + 9 * 2);
        assertThat(header.getLong()).as("metadata keys").isEqualTo(22);
    }

    @Test
    void theVocabularyHasSpecialByteAndWordTokens() {
        TinyVocabulary vocabulary = new TinyVocabulary();

        assertThat(vocabulary.tokens().subList(0, 5)).containsExactly("<unk>", "<s>", "</s>", "<|im_start|>",
                "<|im_end|>");
        assertThat(vocabulary.tokens().get(5)).isEqualTo("<0x00>");
        assertThat(vocabulary.tokens().get(5 + 255)).isEqualTo("<0xFF>");
        assertThat(vocabulary.type(5)).isEqualTo(TinyVocabulary.BYTE);
        assertThat(vocabulary.tokens()).contains("\u2581", "a", "~", "\u2581stream");
        assertThat(vocabulary.size()).isBetween(300, 500);
        assertThat(vocabulary.isNeverSpoken(TinyVocabulary.EOS_ID)).isTrue();
        assertThat(vocabulary.isNeverSpoken(vocabulary.tokens().indexOf("\u2581stream"))).isFalse();
    }
}
