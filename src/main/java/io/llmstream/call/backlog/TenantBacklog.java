package io.llmstream.call.backlog;

import io.llmstream.call.Overflow;
import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.TenantSettings;
import io.llmstream.measure.LlmMetrics;
import io.llmstream.parse.PromptParser;
import io.llmstream.record.InputRecord;
import io.llmstream.record.LlmRequest;
import io.llmstream.record.ParsedInput;
import io.llmstream.record.SourcePosition;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.OperatorStateStore;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The call stage's read-ahead when tenants share the models: the stage holds a few thousand records, and once it
 * is full, a record of a tenant that already holds its part of the stage ({@code capacity / tenants holding
 * records}) is not held up in front of the stage but left in Kafka, to be read again when the tenant has room.
 * So the stage reads on past one tenant's backlog, however long, and another tenant's records behind it are
 * seen at once and get their fair share of the budget. Once a tenant's record of a partition is left, its later
 * records of that partition are left too, so that each tenant's records are taken in the order they came. A
 * tenant below its part is taken even when the stage is full (up to twice its capacity), so that tenants whose
 * records wait long in the stage — for a tight cap, or for the next day when their spend is used up — hold up
 * no one.
 *
 * <p>A read again brings a batch of the partition's records; those the stage has no room for yet are kept in memory
 * (a few hundred per deferral, not in checkpoints) until it has, so each record is fetched again once. With tenants
 * the source leaves the token estimate to the stage ({@link LlmRequest#NOT_ESTIMATED}): a record left costs its
 * parsing, not its estimate.
 *
 * <p>What is left is a few numbers per tenant and partition ({@link Deferral}), in the checkpoint with the
 * records the stage holds and the source's offsets: after a restore every record is taken exactly once, from
 * the source or read again. Records that the topic's retention deletes before they are read again are lost, and
 * said so in the log. Tenants not listed share the "default" tenant's part.
 */
public final class TenantBacklog implements Overflow<ParsedInput> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TenantBacklog.class);
    static final String STATE_NAME = "call-stage-backlog";
    /** How soon to read again after a read brought nothing or failed. */
    private static final long RETRY_MILLIS = 200;
    private static final long WARN_EVERY_MILLIS = 60_000;

    private final LlmStreamConfig config;
    private final KeySelector<ParsedInput, ?> keys;
    private final BacklogReader.Factory readers;

    private transient ListState<Deferral> state;
    private transient KeyGroupRange keyGroups;
    private transient int maxParallelism;
    /** The deferrals, by tenant and partition, in the order they began. */
    private transient Map<String, List<Deferral>> deferrals;
    private transient Map<String, Integer> heldByTenant;
    private transient Map<String, AtomicLong> waitingInKafkaByTenant;
    /** Per deferral, the records a read brought that the stage had no room for yet; not kept in checkpoints. */
    private transient Map<Deferral, List<InputRecord>> unread;
    private transient Stage<ParsedInput> stage;
    private transient BacklogReader reader;
    private transient PromptParser parser;
    private transient boolean reading;
    private transient boolean retryScheduled;
    private transient boolean readOnScheduled;
    private transient int turn;
    /** When a failed read was last said in the log (0 after deserialization: never). */
    private transient long warnedAtMillis;
    /** The tenants whose records were left in Kafka at least once, said in the log once each. */
    private transient Set<String> told;

    /**
     * @param keys the call stage's key, to tell whose key groups a record read again belongs to
     * @param readers reads the input again
     */
    public TenantBacklog(LlmStreamConfig config, KeySelector<ParsedInput, ?> keys, BacklogReader.Factory readers) {
        this.config = config;
        this.keys = keys;
        this.readers = readers;
    }

    @Override
    public void initialize(OperatorStateStore store, boolean restored, KeyGroupRange keyGroups, int maxParallelism)
            throws Exception {
        this.keyGroups = keyGroups;
        this.maxParallelism = maxParallelism;
        deferrals = new LinkedHashMap<>();
        heldByTenant = new HashMap<>();
        waitingInKafkaByTenant = new ConcurrentHashMap<>();
        unread = new IdentityHashMap<>();
        told = new HashSet<>();
        state = store.getUnionListState(new ListStateDescriptor<>(STATE_NAME, TypeInformation.of(Deferral.class)));
        if (restored) {
            for (Deferral restoredDeferral : state.get()) {
                Deferral mine = restoredDeferral.within(keyGroups);
                if (mine != null && !mine.done()) {
                    deferrals.computeIfAbsent(mine.key(), key -> new ArrayList<>()).add(mine);
                    waitingInKafka(mine.tenant).addAndGet(mine.count);
                }
            }
        }
    }

    @Override
    public void open(Stage<ParsedInput> stage, MetricGroup metrics) {
        this.stage = stage;
        parser = new PromptParser(config, true);
        for (String tenant : config.tenants().keySet()) {
            AtomicLong waiting = waitingInKafka(tenant);
            metrics.addGroup(LlmMetrics.TENANT_GROUP, tenant).gauge(LlmMetrics.WAITING_IN_KAFKA,
                    (Gauge<Long>) () -> Math.max(0, waiting.get()));
        }
        if (!deferrals.isEmpty()) {
            stage.later(0, this::readOn);
        }
    }

    @Override
    public Admission admit(ParsedInput input, int held) throws Exception {
        if (!input.isValid()) {
            return Admission.NOW; // a dead letter leaves at once
        }
        SourcePosition at = input.request().source();
        if (at == null || at.offset() < 0) {
            return Admission.WHEN_ROOM; // not read from Kafka: it cannot be read again
        }
        if (deferrals.isEmpty() && held < stage.capacity()) {
            return Admission.NOW;
        }
        String tenant = shareOf(input.request());
        int keyGroup = KeyGroupRangeAssignment.assignToKeyGroup(keys.getKey(input), maxParallelism);
        List<Deferral> ofTenant = deferrals.get(Deferral.key(at.topic(), at.partition(), tenant));
        Deferral covering = ofTenant == null ? null : covering(ofTenant, keyGroup);
        if (covering != null) {
            covering.leave(at.offset());
            waitingInKafka(tenant).incrementAndGet();
            return Admission.LEAVE;
        }
        if (held < stage.capacity()) {
            return Admission.NOW;
        }
        if (heldBy(tenant) < partOf(tenant)) {
            // The stage is full with other tenants' records, which may wait long (for budget, or for the next
            // day when their spend is used up): a tenant below its part is taken at once, so the stage holds at
            // most twice its capacity and its input is never held up.
            return held < 2 * stage.capacity() ? Admission.NOW : Admission.WHEN_ROOM;
        }
        if (told.add(tenant)) {
            LOG.info("The call stage is full and tenant {} holds its part of it ({} records): its further records "
                    + "wait in Kafka, to be read again as it has room, so that the stage reads on for other tenants",
                    tenant, heldBy(tenant));
        }
        if (ofTenant == null) {
            deferrals.computeIfAbsent(Deferral.key(at.topic(), at.partition(), tenant), k -> new ArrayList<>())
                    .add(Deferral.beginning(at.topic(), at.partition(), tenant, keyGroups.getStartKeyGroup(),
                            keyGroups.getEndKeyGroup(), at.offset()));
        } else {
            // After a rescale: the key group is this instance's now and none of the restored parts covers it.
            Deferral last = ofTenant.get(ofTenant.size() - 1);
            int[] gap = {keyGroups.getStartKeyGroup(), keyGroups.getEndKeyGroup()};
            for (Deferral other : ofTenant) {
                int[] narrower = other.gapAround(keyGroup, keyGroups);
                gap[0] = Math.max(gap[0], narrower[0]);
                gap[1] = Math.min(gap[1], narrower[1]);
            }
            last.leaveFrom(gap[0], gap[1], at.offset());
        }
        waitingInKafka(tenant).incrementAndGet();
        return Admission.LEAVE;
    }

    @Override
    public void taken(ParsedInput input) {
        if (input.isValid()) {
            heldByTenant.merge(shareOf(input.request()), 1, Integer::sum);
        }
    }

    @Override
    public void left(ParsedInput input) {
        if (input.isValid()) {
            heldByTenant.computeIfPresent(shareOf(input.request()), (tenant, held) -> held > 1 ? held - 1 : null);
            if (!deferrals.isEmpty() && !readOnScheduled) {
                // Not at once: the stage is in the middle of emitting, and taking back adds to what it holds.
                readOnScheduled = true;
                stage.onTaskThread(() -> {
                    readOnScheduled = false;
                    readOn();
                }, "taking back records left in Kafka");
            }
        }
    }

    @Override
    public boolean isEmpty() {
        return deferrals.isEmpty();
    }

    @Override
    public void snapshot() throws Exception {
        List<Deferral> copies = new ArrayList<>();
        for (List<Deferral> ofTenant : deferrals.values()) {
            for (Deferral deferral : ofTenant) {
                copies.add(deferral.copy());
            }
        }
        state.update(copies);
    }

    @Override
    public void close() {
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }

    /**
     * Takes back the next records of the tenants that have room again, from what an earlier read brought and
     * the stage had no room for, or from a new read, unless one is under way.
     */
    private void readOn() throws Exception {
        while (!reading && !deferrals.isEmpty() && !stage.inputWaits() && stage.held() < stage.capacity()) {
            Deferral next = nextWithRoom();
            if (next == null) {
                return;
            }
            List<InputRecord> fetched = unread.remove(next);
            if (fetched == null) {
                read(next);
                return;
            }
            if (!takeBack(next, fetched)) {
                retryLater();
                return;
            }
        }
    }

    private void read(Deferral next) {
        if (reader == null) {
            reader = readers.open(config.kafka().groupId() + "-backlog-" + keyGroups.getStartKeyGroup());
        }
        reading = true;
        reader.read(next.topic, next.partition, next.readFrom()).whenComplete((records, error) ->
                stage.onTaskThread(() -> readDone(next, records, error), "records read again"));
    }

    /** The next deferral, in turn, of a tenant that holds less than its part of the stage. */
    private Deferral nextWithRoom() {
        List<Deferral> all = new ArrayList<>();
        deferrals.values().forEach(all::addAll);
        for (int i = 0; i < all.size(); i++) {
            Deferral candidate = all.get((turn + i) % all.size());
            if (heldBy(candidate.tenant) < partOf(candidate.tenant)) {
                turn = (turn + i + 1) % all.size();
                return candidate;
            }
        }
        return null;
    }

    private void readDone(Deferral deferral, BacklogReader.Records records, Throwable error) throws Exception {
        reading = false;
        List<Deferral> ofTenant = deferrals.get(deferral.key());
        if (ofTenant == null || !ofTenant.contains(deferral)) {
            return;
        }
        if (error != null) {
            long now = System.currentTimeMillis();
            if (now - warnedAtMillis >= WARN_EVERY_MILLIS) {
                warnedAtMillis = now;
                LOG.warn("Reading the records of tenant {} left in {}-{} again failed, trying again every {} ms "
                        + "(said once a minute): {}", deferral.tenant, deferral.topic, deferral.partition,
                        RETRY_MILLIS, error.getCause() != null ? error.getCause().toString() : error.toString());
            }
            retryLater();
            return;
        }
        long from = deferral.readFrom();
        if (records.firstOffset() > from) {
            LOG.error("Records of tenant {} left in {}-{} at offsets {} to {} were deleted by the topic's retention "
                    + "before they were read again: they are lost (raise the topic's retention.ms above the longest "
                    + "backlog)", deferral.tenant, deferral.topic, deferral.partition, from,
                    Math.min(deferral.until, records.firstOffset() - 1));
            deferral.passed(records.firstOffset() - 1);
        }
        if (takeBack(deferral, records.records())) {
            readOn();
        } else {
            retryLater();
        }
    }

    /**
     * Takes back the deferral's records among {@code fetched} (the records of its partition from where it reads
     * again on) while its tenant has room, and keeps those the stage has no room for yet, so that they are not
     * fetched again; returns whether it got past any.
     */
    private boolean takeBack(Deferral deferral, List<InputRecord> fetched) throws Exception {
        int next = 0;
        for (; next < fetched.size(); next++) {
            InputRecord record = fetched.get(next);
            if (record.offset() < deferral.readFrom()) {
                continue;
            }
            if (record.offset() > deferral.until) {
                break;
            }
            ParsedInput input = parser.parse(record, System.currentTimeMillis());
            if (input.isValid() && shareOf(input.request()).equals(deferral.tenant)) {
                int keyGroup = KeyGroupRangeAssignment.assignToKeyGroup(keys.getKey(input), maxParallelism);
                if (deferral.holds(keyGroup, record.offset()) && keyGroups.contains(keyGroup)) {
                    if (stage.inputWaits() || stage.held() >= stage.capacity()
                            || heldBy(deferral.tenant) >= partOf(deferral.tenant)) {
                        break;
                    }
                    stage.takeBack(input);
                    deferral.count--;
                    waitingInKafka(deferral.tenant).decrementAndGet();
                }
            }
            deferral.passed(record.offset());
        }
        if (deferral.done()) {
            waitingInKafka(deferral.tenant).addAndGet(-deferral.count);
            List<Deferral> ofTenant = deferrals.get(deferral.key());
            ofTenant.remove(deferral);
            if (ofTenant.isEmpty()) {
                deferrals.remove(deferral.key());
            }
        } else if (next < fetched.size()) {
            unread.put(deferral, fetched.subList(next, fetched.size()));
        }
        return next > 0;
    }

    private void retryLater() {
        if (!retryScheduled) {
            retryScheduled = true;
            stage.later(RETRY_MILLIS, () -> {
                retryScheduled = false;
                readOn();
            });
        }
    }

    private static Deferral covering(List<Deferral> ofTenant, int keyGroup) {
        for (Deferral deferral : ofTenant) {
            if (deferral.covers(keyGroup)) {
                return deferral;
            }
        }
        return null;
    }

    /** The tenant whose part of the stage a request takes: itself when listed, else "default". */
    private String shareOf(LlmRequest request) {
        String tenant = request.tenant();
        return tenant != null && config.tenants().containsKey(tenant) ? tenant : TenantSettings.DEFAULT;
    }

    private int heldBy(String tenant) {
        return heldByTenant.getOrDefault(tenant, 0);
    }

    /** A tenant's part of the stage: an equal part among the tenants that hold records, itself included. */
    private int partOf(String tenant) {
        int holding = heldByTenant.size() + (heldByTenant.containsKey(tenant) ? 0 : 1);
        return Math.max(1, stage.capacity() / holding);
    }

    private AtomicLong waitingInKafka(String tenant) {
        return waitingInKafkaByTenant.computeIfAbsent(tenant, name -> new AtomicLong());
    }
}
