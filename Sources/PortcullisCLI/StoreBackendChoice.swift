import Logging
import Portcullis
import PortcullisPostgresStore

/// The `[store]` backends this program can make: `postgres` (PostgresStoreBackend) and what
/// ``StoreBackends/standard`` knows. Only this program links the PostgreSQL client; the host and
/// the plugins never do. The daemon's `portcullis_store_up` gauge is the shared store's (see
/// ForwardAuthServer); the backend logs its own reachability once per change.
let storeBackendFactory: StoreBackendFactory = PostgresStoreBackend.factory(logger: Logger(label: "portcullis"))
