//! The accept loop: hyper's HTTP/1.1 directly (keep-alive, a header
//! timeout, graceful shutdown), optionally behind TLS.

use super::{router, AppState};
use std::sync::Arc;
use std::time::Duration;

/// Serves until `shutdown` resolves.
///
/// HTTP/1.1 only (the hall's tablets and consoles), with keep-alive: one
/// small hyper connection per client, so a full hall's connections stay
/// cheap. An accept error (out of file descriptors, say) is logged and
/// retried, never the end of the server.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_tls(listener, state, None, shutdown).await
}

/// As [`serve`], over TLS when an acceptor is given (the handshake runs in
/// the connection's own task, so a slow client holds up no one).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;
    state
        .tls
        .store(tls.is_some(), std::sync::atomic::Ordering::Relaxed);
    let app = router(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.keep_alive(true)
        .header_read_timeout(Duration::from_secs(30))
        .timer(hyper_util::rt::TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let svc =
            app.clone()
                .map_request(move |req: axum::http::Request<hyper::body::Incoming>| {
                    let mut req = req.map(axum::body::Body::new);
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                });
        let svc = TowerToHyperService::new(svc);
        match &tls {
            None => {
                let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), svc));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            Some(acceptor) => {
                let (acceptor, http, watcher) =
                    (acceptor.clone(), http.clone(), graceful.watcher());
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                    if let Ok(Ok(stream)) = handshake.await {
                        let _ = watcher
                            .watch(http.serve_connection(TokioIo::new(stream), svc))
                            .await;
                    }
                });
            }
        }
    }
    // Let requests in flight finish (a receipt being written), briefly.
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}
