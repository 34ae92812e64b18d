"""A local emulator of the Tencent Cloud Lighthouse API (2020-03-24) for tests and demos."""
