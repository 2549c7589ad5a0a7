package io.github.rseq4j.internal.sys;

import io.github.rseq4j.RseqException;

/**
 * How code outside the API package makes an {@link RseqException}, whose constructor users cannot
 * call (the JDK's shared-secrets pattern): {@code RseqException} installs its constructor here
 * when it is initialized.
 */
public final class SyscallFailure {
    private SyscallFailure() {}

    /** The constructor of RseqException. */
    public interface Factory {
        /**
         * Makes the exception.
         *
         * @param operation the failed call, as the message names it
         * @param errno     the errno it failed with
         * @param hint      what the caller can do about it
         * @return the exception
         */
        RseqException create(String operation, int errno, String hint);
    }

    /** Written once by RseqException's class initializer, which {@link #of} runs first; read after. */
    private static Factory factory;

    /**
     * Installs RseqException's constructor; only its class initializer calls this.
     *
     * @param constructor the constructor
     */
    public static synchronized void install(Factory constructor) {
        if (factory != null) {
            throw new IllegalStateException("installed already");
        }
        factory = constructor;
    }

    /**
     * An {@link RseqException} for a failed system call.
     *
     * @param operation the failed call, as the message names it
     * @param errno     the errno it failed with
     * @param hint      what the caller can do about it
     * @return the exception, to throw
     */
    public static RseqException of(String operation, int errno, String hint) {
        return installed().create(operation, errno, hint);
    }

    private static synchronized Factory installed() {
        if (factory == null) {
            try {
                Class.forName(RseqException.class.getName(), true, RseqException.class.getClassLoader());
            } catch (ClassNotFoundException impossible) {
                throw new AssertionError(impossible);
            }
        }
        return factory;
    }
}
