package io.llmstream.it.llama;

import io.llmstream.local.llama.LlamaServerInstall;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class that needs a real {@code llama-server}. Its tests are skipped, with one line saying
 * why, where {@link LlamaServerInstall} cannot provide one; a {@link LlamaServerInstall} parameter of a
 * test or lifecycle method receives the install.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(LlamaServerAvailability.class)
public @interface RequiresLlamaServer {}
