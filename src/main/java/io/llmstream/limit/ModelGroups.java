package io.llmstream.limit;

import io.llmstream.config.LlmStreamConfig;
import io.llmstream.config.ModelSettings;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Models linked by fallbacks, grouped so that they share their shards ({@link ShardKeys}): a request that
 * falls back to another model is paid from that model's budget share in the same place. A model without fallbacks (and that is nobody's fallback) is a group of its own, named
 * after itself; a group is named after its first model in the configuration.
 */
public final class ModelGroups implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, String> groupOfModel;
    private final Map<String, List<String>> modelsOfGroup;

    private ModelGroups(Map<String, String> groupOfModel, Map<String, List<String>> modelsOfGroup) {
        this.groupOfModel = groupOfModel;
        this.modelsOfGroup = modelsOfGroup;
    }

    public static ModelGroups of(LlmStreamConfig config) {
        Map<String, String> parent = new HashMap<>();
        for (String model : config.models().keySet()) {
            parent.put(model, model);
        }
        for (ModelSettings model : config.models().values()) {
            for (String fallback : model.fallbacks()) {
                union(parent, model.name(), fallback, new ArrayList<>(config.models().keySet()));
            }
        }
        Map<String, String> groupOfModel = new HashMap<>();
        Map<String, List<String>> modelsOfGroup = new LinkedHashMap<>();
        for (String model : config.models().keySet()) {
            String group = find(parent, model);
            groupOfModel.put(model, group);
            modelsOfGroup.computeIfAbsent(group, key -> new ArrayList<>()).add(model);
        }
        modelsOfGroup.replaceAll((group, models) -> Collections.unmodifiableList(models));
        return new ModelGroups(groupOfModel, modelsOfGroup);
    }

    private static String find(Map<String, String> parent, String model) {
        String root = model;
        while (!parent.get(root).equals(root)) {
            root = parent.get(root);
        }
        return root;
    }

    /** Joins two groups under whichever root comes first in the configuration. */
    private static void union(Map<String, String> parent, String a, String b, List<String> order) {
        String rootA = find(parent, a);
        String rootB = find(parent, b);
        if (!rootA.equals(rootB)) {
            if (order.indexOf(rootA) <= order.indexOf(rootB)) {
                parent.put(rootB, rootA);
            } else {
                parent.put(rootA, rootB);
            }
        }
    }

    /** The group of a configured model. */
    public String groupOf(String model) {
        return groupOfModel.get(model);
    }

    /** The models of a group, in configuration order. */
    public List<String> modelsOf(String group) {
        return modelsOfGroup.get(group);
    }

    /** Every group, named after its first model, in configuration order. */
    public List<String> groups() {
        return List.copyOf(modelsOfGroup.keySet());
    }
}
