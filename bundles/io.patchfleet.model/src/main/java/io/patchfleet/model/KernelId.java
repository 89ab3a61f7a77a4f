package io.patchfleet.model;

public record KernelId(String release, String architecture, String flavour) {}
