/** The transport API: one HTTP stack, retries, redirects policy, proxies, TLS/mTLS, error mapping and redaction. */
export { Transport, tlsOptions, type TlsSettings, type TransportOptions, type TransportRequest, type TransportResponse } from './http-transport.js'
export { NetworkError, RedirectError, classifyNetworkError, networkMessage, type FailureKind, type ServerInputs } from './http-errors.js'
export { addSecret, installOutputRedaction, redact, safeUrl } from './redact.js'
export { DEFAULT_RETRY, TRANSIENT_STATUSES, setRunBudget, type RetryPolicy } from './retry.js'
export { proxyFor } from './proxy.js'
export { registerSecrets, startTransport } from './run.js'
export { transportFetch } from './fetch.js'
