package io.llmstream.it;

/** Container images of the tests, in one place. */
final class DockerImageVersions {
    /** The official image of the Kafka release whose clients the connector uses. */
    static final String KAFKA = "apache/kafka:4.2.0";

    private DockerImageVersions() {}
}
