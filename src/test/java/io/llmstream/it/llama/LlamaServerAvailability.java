package io.llmstream.it.llama;

import io.llmstream.local.llama.LlamaServerInstall;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extension behind {@link RequiresLlamaServer}: where the install is unavailable, the class's tests are
 * skipped, never failed, with the reason as their skip message, and one warning line says so in the build
 * output (Surefire's console counts skipped tests but does not print why).
 *
 * <p>It decides before the class's {@code @BeforeAll} methods run, so they may start servers freely. An
 * assumption that fails inside {@code @BeforeAll} would not do: Surefire then reports the class as "Tests
 * run: 0, Skipped: 0" and the reason is lost.
 */
public final class LlamaServerAvailability implements ExecutionCondition, ParameterResolver {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaServerAvailability.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        LlamaServerInstall install = LlamaServerInstall.shared();
        if (install.isAvailable()) {
            return ConditionEvaluationResult.enabled(install.toString());
        }
        if (context.getTestMethod().isEmpty()) {
            LOG.warn("Skipping {}: {}", context.getDisplayName(), message(install));
        }
        return ConditionEvaluationResult.disabled(message(install));
    }

    /**
     * For a test that is not marked {@link RequiresLlamaServer}: the install, or an aborted test with the
     * reason it is unavailable.
     */
    public static LlamaServerInstall assumeAvailable() {
        LlamaServerInstall install = LlamaServerInstall.shared();
        Assumptions.assumeTrue(install.isAvailable(), () -> message(install));
        return install;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LlamaServerInstall.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return LlamaServerInstall.shared();
    }

    private static String message(LlamaServerInstall install) {
        return "llama-server unavailable: " + install.unavailableReason();
    }
}
