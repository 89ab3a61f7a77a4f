package io.patchfleet.cli.publisher;

/** A publisher verb cannot go on: the message is printed as is and the process exits with {@link #exitCode}. */
final class PublisherException extends Exception {
    private static final long serialVersionUID = 1L;

    final int exitCode;

    PublisherException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }
}
