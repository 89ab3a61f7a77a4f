package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.tuf.Tuf;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** What every publisher verb shares: {@code --repo}, output streams, and one error policy. */
abstract class PublisherVerb implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    PublisherCommand parent;

    @Option(names = "--repo", paramLabel = "DIR", defaultValue = ".",
            description = "The repository folder (default: the current folder)")
    Path repoDir;

    final TrustService trust = Tuf.trustService();

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    String env(String name) {
        return parent == null ? System.getenv(name) : parent.env(name);
    }

    Instant now() {
        return Instant.now();
    }

    PublisherRepository repository() {
        return new PublisherRepository(repoDir.toAbsolutePath().normalize());
    }

    @Override
    public final Integer call() {
        try {
            return run();
        } catch (PublisherException e) {
            return fail(e.exitCode, e.getMessage());
        } catch (TrustException e) {
            return fail(ExitCodes.FAILED, e.getMessage());
        } catch (IllegalArgumentException e) {
            return fail(ExitCodes.FAILED, e.getMessage());
        } catch (IOException e) {
            return fail(ExitCodes.FAILED, "I/O error: " + e);
        } finally {
            out().flush();
            err().flush();
        }
    }

    private int fail(int code, String message) {
        err().println("patchfleet publisher " + spec.name() + ": " + message);
        return code;
    }

    abstract int run() throws PublisherException, TrustException, IOException;
}
