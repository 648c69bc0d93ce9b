public enum VividTestSupport {}
