package io.llmstream.config;

import io.llmstream.TestConfigs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TenantSettingsTest {

    @Test
    void tenantsHaveWeightsAndCapsAndUnlistedOnesAreTheDefaultTenant() {
        LlmStreamConfig config = TestConfigs.offline("tenants: {default: {weight: 0.5}, team-a: {weight: 1}, "
                + "team-c: {weight: 2, models: {m1: {rpm: 100, tpm: 20000}}}}");

        assertThat(config.hasTenants()).isTrue();
        assertThat(config.tenantWeight("team-c")).isEqualTo(2.0);
        assertThat(config.tenantWeight("team-z")).as("not listed: the default tenant's").isEqualTo(0.5);
        assertThat(config.tenantWeight(null)).isEqualTo(0.5);
        assertThat(config.tenantCap("team-c", "m1")).isEqualTo(new TenantSettings.Cap(100, 20_000));
        assertThat(config.tenantCap("team-a", "m1")).isEqualTo(TenantSettings.NO_CAP);
        assertThat(TestConfigs.offline().tenantWeight("anyone")).as("no tenants").isEqualTo(1.0);
    }

    @Test
    void aCapOfAModelThatIsNotConfiguredOrASpendCapStopsTheStartNamingTheKey() {
        assertThatThrownBy(() -> TestConfigs.offline("tenants: {team-a: {models: {gpt-9: {rpm: 10}}}}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenants.team-a.models.gpt-9");
        assertThatThrownBy(() -> TestConfigs.offline("tenants: {team-a: {weight: 0}}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenants.team-a.weight");
        assertThatThrownBy(() -> TestConfigs.offline("tenants: {team-d: {spend-per-day: 25.0}}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenants.team-d.spend-per-day");
    }

    @Test
    void spendCapsPerDayAndTheTenantsNotListedShareTheDefaultOne() {
        LlmStreamConfig config = TestConfigs.offline("models: {m1: {price: {input: 2.5, output: 10}}}",
                "tenants: {default: {spend-per-day: 5}, team-a: {weight: 1}, "
                        + "team-d: {spend-per-day: 25.00, when-spent: wait}}");

        assertThat(config.spendCaps()).containsExactly(java.util.Map.entry("default", 5.0),
                java.util.Map.entry("team-d", 25.0));
        assertThat(config.spendingTenant("team-d").whenSpent()).isEqualTo(TenantSettings.WhenSpent.WAIT);
        assertThat(config.spendingTenant("team-z").name()).as("not listed: spends the default's").isEqualTo("default");
        assertThat(config.spendingTenant(null).whenSpent()).isEqualTo(TenantSettings.WhenSpent.DEAD_LETTER);
        assertThat(config.spendingTenant("team-a")).as("listed without a cap").isNull();
    }

    @Test
    void aSpendCapNeedsPricesAndNoBatchLaneAndWhenSpentNeedsACap() {
        assertThatThrownBy(() -> TestConfigs.offline("tenants: {team-d: {spend-per-day: 25.0}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("model m1 has none: set models.m1.price.input and .output");
        assertThatThrownBy(() -> TestConfigs.offline("tenants: {team-d: {when-spent: wait}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("tenants.team-d.when-spent needs tenants.team-d.spend-per-day, which was not set");
        assertThatThrownBy(() -> TestConfigs.offline("models: {m1: {price: {input: 2.5, output: 10}}}",
                "tenants: {team-d: {spend-per-day: -1}}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenants.team-d.spend-per-day");
    }
}
