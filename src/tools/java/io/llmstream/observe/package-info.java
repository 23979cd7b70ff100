/**
 * The job's metrics topic read back for people: {@code llmstream stats} (a live table per model) and
 * {@code llmstream report} (one self-contained HTML file). It depends on nothing of the job but the
 * documented JSON, because the records it reads may come from another version of the job.
 */
package io.llmstream.observe;
