/// Pure decision algorithms of the hub: sketches, statistics, minute rollup cells, the version comparison,
/// series, judge, breaker, autoscaler, alert rules.
/// Nothing in this module performs I/O or reads a clock.
public enum VigilAnalyticsInfo {}
