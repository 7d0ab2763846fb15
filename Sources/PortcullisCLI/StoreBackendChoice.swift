import Portcullis

/// The `[store]` backends this program can make: the one place a build adds one (the PostgreSQL
/// store replaces this with a factory that makes it for `backend = "postgres"` and defers to
/// ``StoreBackends/standard`` otherwise). The host itself links no database client.
let storeBackendFactory: StoreBackendFactory = StoreBackends.standard
