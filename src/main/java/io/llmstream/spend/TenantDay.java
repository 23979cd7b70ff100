package io.llmstream.spend;

/** One capped tenant's UTC day: what the spend caps count by. */
record TenantDay(String tenant, long day) {}
