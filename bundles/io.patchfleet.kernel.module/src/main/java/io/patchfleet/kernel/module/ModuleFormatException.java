package io.patchfleet.kernel.module;

/** The file is not a kernel module this reader understands; the message says what is wrong. */
public class ModuleFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModuleFormatException(String message) {
        super(message);
    }
}
