import Testing

/// Every relay test starts real processes and moves real bytes; on a 2-core machine they run
/// one at a time so timing-sensitive ones (slow readers, memory bounds) are not starved.
@Suite(.serialized) struct RelayTests {}
