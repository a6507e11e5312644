//! The browser: one headless Chromium, a pool of tabs, and the interception that sends
//! every request a page makes through glaneur (see the module documentation of
//! [`crate::render`]).

use std::future::Future;
use std::os::unix::fs::MetadataExt;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::fetch::{
    EnableParams, EventRequestPaused, FailRequestParams, FulfillRequestParams, HeaderEntry,
    RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{ErrorReason, ResourceType};
use chromiumoxide::cdp::browser_protocol::page::NavigateParams;
use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;
use futures_util::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use url::Url;

use super::{NETWORK_IDLE, RenderError, RenderSettings, find_chromium};
use crate::capture::Capture;
use crate::fetch::decode_content;

/// What [`Requisites::fetch`] returns: the exchange, or why the request was refused.
pub type RequisiteFuture<'a> = Pin<Box<dyn Future<Output = Result<Capture, String>> + Send + 'a>>;

/// Where a rendered page's requests go: the crawl's gate (robots.txt, rate, SSRF guard,
/// limits), which archives each exchange it makes.
pub trait Requisites: Send + Sync + 'static {
    /// Fetches `url`, which the page asked for, with glaneur's fetcher; an error (refused,
    /// failed) fails the browser's request.
    fn fetch(&self, url: Url) -> RequisiteFuture<'_>;
}

/// A page as the browser left it.
#[derive(Debug, Clone)]
pub struct RenderedPage {
    /// The DOM after rendering, serialised as HTML.
    pub dom: String,
    /// Requests the page made, fulfilled with what glaneur fetched.
    pub fulfilled: usize,
    /// Requests the page made that were refused or failed.
    pub refused: usize,
    /// The page was still busy at the time limit (captured as it was).
    pub timed_out: bool,
}

/// Largest body handed to the browser after decoding.
const MAX_DECODED_BYTES: u64 = 64 << 20;
/// Scroll steps at most, to reach the end of the page (lazy images).
const MAX_SCROLL_STEPS: usize = 40;
/// Time given to read the DOM once the page's time is up.
const SNAPSHOT_GRACE: Duration = Duration::from_secs(5);

/// One headless Chromium with a pool of tabs.
pub struct Browser {
    browser: tokio::sync::Mutex<chromiumoxide::Browser>,
    handler: JoinHandle<()>,
    tabs: Semaphore,
    page_timeout: Duration,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium (see [`find_chromium`]) with its own throwaway profile, no network
    /// of its own (a dead proxy, a resolver that resolves nothing) and `settings.tabs`
    /// tabs.
    pub async fn launch(settings: &RenderSettings) -> Result<Browser, RenderError> {
        let path = find_chromium(settings.chromium.as_deref())?;
        let launch_error = |message: String| RenderError::Launch {
            path: path.clone(),
            message,
        };
        let profile = tempfile::Builder::new()
            .prefix("glaneur-chromium-")
            .tempdir()
            .map_err(|e| launch_error(format!("profile directory: {e}")))?;
        let mut builder = chromiumoxide::BrowserConfig::builder()
            .chrome_executable(&path)
            .new_headless_mode()
            .user_data_dir(profile.path())
            .disable_cache()
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(settings.page_timeout + Duration::from_secs(10))
            .disable_https_first()
            // No network of its own: every request is glaneur's (see the module notes).
            .arg(("proxy-server", "127.0.0.1:9"))
            .arg(("proxy-bypass-list", "<-loopback>"))
            .arg(("host-resolver-rules", "MAP * ~NOTFOUND"))
            .args(["disable-component-update", "mute-audio"]);
        if running_as_root() {
            // Chromium refuses to start its sandbox as root.
            builder = builder.no_sandbox();
        }
        let config = builder.build().map_err(launch_error)?;
        let (browser, mut handler) = chromiumoxide::Browser::launch(config)
            .await
            .map_err(|e| launch_error(e.to_string()))?;
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(e) = event {
                    tracing::debug!("browser connection: {e}");
                }
            }
        });
        Ok(Browser {
            browser: tokio::sync::Mutex::new(browser),
            handler,
            tabs: Semaphore::new(settings.tabs.max(1)),
            page_timeout: settings.page_timeout,
            _profile: profile,
        })
    }

    /// Renders `page` (its response, already fetched and archived, is served to the
    /// browser as it came): loads it in a tab, sends every request it makes to
    /// `requisites`, scrolls to its end and waits for network idle, or the time limit.
    pub async fn render(
        &self,
        page: &Capture,
        requisites: Arc<dyn Requisites>,
    ) -> Result<RenderedPage, RenderError> {
        let failed = |message: String| RenderError::Page {
            url: page.url.to_string(),
            message,
        };
        let _tab = self
            .tabs
            .acquire()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let tab = {
            let browser = self.browser.lock().await;
            // A window of its own: a background tab is hidden, and a hidden page runs
            // no intersection observers (no lazy images).
            let target = CreateTargetParams::builder()
                .url("about:blank")
                .new_window(true)
                .background(false)
                .build()
                .map_err(failed)?;
            browser
                .new_page(target)
                .await
                .map_err(|e| failed(format!("new tab: {e}")))?
        };
        let result = drive(&tab, page, requisites, self.page_timeout).await;
        if let Err(e) = tab.close().await {
            tracing::debug!("closing the tab of {}: {e}", page.url);
        }
        result.map_err(failed)
    }

    /// Closes the browser and waits for it to exit.
    pub async fn close(self) {
        let mut browser = self.browser.into_inner();
        if let Err(e) = browser.close().await {
            tracing::debug!("closing Chromium: {e}");
        }
        let _ = browser.wait().await;
        self.handler.abort();
    }
}

/// True when this process runs as root (Linux: the owner of `/proc/self`).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Requests in flight in a tab and when the last one ended, for network idle.
struct Activity {
    in_flight: AtomicUsize,
    fulfilled: AtomicUsize,
    refused: AtomicUsize,
    last_change: Mutex<Instant>,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            fulfilled: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            last_change: Mutex::new(Instant::now()),
        }
    }

    fn touch(&self) {
        if let Ok(mut last) = self.last_change.lock() {
            *last = Instant::now();
        }
    }

    /// No request in flight, and none ended, for [`NETWORK_IDLE`].
    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0
            && self
                .last_change
                .lock()
                .is_ok_and(|last| last.elapsed() >= NETWORK_IDLE)
    }
}

/// Loads, scrolls and snapshots one page in `tab`; the page's requests are handled by a
/// task of their own meanwhile.
async fn drive(
    tab: &Page,
    page: &Capture,
    requisites: Arc<dyn Requisites>,
    timeout: Duration,
) -> Result<RenderedPage, String> {
    let deadline = Instant::now() + timeout;
    let mut paused = tab
        .event_listener::<EventRequestPaused>()
        .await
        .map_err(|e| format!("listening to requests: {e}"))?;
    let pattern = RequestPattern::builder()
        .url_pattern("*")
        .request_stage(RequestStage::Request)
        .build();
    tab.execute(EnableParams::builder().pattern(pattern).build())
        .await
        .map_err(|e| format!("intercepting requests: {e}"))?;
    let activity = Arc::new(Activity::new());
    let interceptor = {
        let (tab, activity, main) = (tab.clone(), Arc::clone(&activity), page.clone());
        tokio::spawn(async move {
            let mut handlers = JoinSet::new();
            let mut main = Some(main);
            while let Some(event) = paused.next().await {
                activity.in_flight.fetch_add(1, Ordering::SeqCst);
                activity.touch();
                let main_document = take_main(&mut main, &event);
                let (tab, activity, requisites) =
                    (tab.clone(), Arc::clone(&activity), Arc::clone(&requisites));
                handlers.spawn(async move {
                    answer(&tab, &event, main_document, requisites.as_ref(), &activity).await;
                    activity.in_flight.fetch_sub(1, Ordering::SeqCst);
                    activity.touch();
                });
                while handlers.try_join_next().is_some() {}
            }
        })
    };
    let timed_out = load_and_settle(tab, &page.url, &activity, deadline).await;
    let dom = tokio::time::timeout(SNAPSHOT_GRACE, snapshot(tab)).await;
    interceptor.abort();
    let dom = dom.map_err(|_| "the page did not answer for its DOM".to_string())??;
    Ok(RenderedPage {
        dom,
        fulfilled: activity.fulfilled.load(Ordering::SeqCst),
        refused: activity.refused.load(Ordering::SeqCst),
        timed_out,
    })
}

/// The page's own response, for the first request of the main document to its URL.
fn take_main(main: &mut Option<Capture>, event: &EventRequestPaused) -> Option<Capture> {
    let is_main = main.as_ref().is_some_and(|m| {
        event.resource_type == ResourceType::Document
            && Url::parse(&event.request.url).is_ok_and(|u| u == m.url)
    });
    if is_main { main.take() } else { None }
}

/// Navigates, waits for network idle, scrolls to the end (a viewport at a time, waiting
/// for idle after each step) and waits for idle again. True when the deadline came first.
async fn load_and_settle(tab: &Page, url: &Url, activity: &Activity, deadline: Instant) -> bool {
    let navigate = tab.execute(NavigateParams::new(url.as_str()));
    match tokio::time::timeout_at(deadline, navigate).await {
        Err(_) => return true,
        Ok(Err(e)) => tracing::debug!("navigating to {url}: {e}"),
        Ok(Ok(_)) => {}
    }
    if !wait_idle(activity, deadline).await {
        return true;
    }
    if let Err(e) = tab.bring_to_front().await {
        tracing::debug!("showing {url}: {e}");
    }
    for _ in 0..MAX_SCROLL_STEPS {
        // Resolved two frames after the scroll (the intersection observers have run and
        // started their requests: on a busy machine 100 ms may not be enough), or after
        // 300 ms when the page draws no frame.
        let step = tab.evaluate(
            "new Promise(done => { window.scrollBy(0, window.innerHeight); \
             const atEnd = () => done(window.scrollY + window.innerHeight >= \
                 document.documentElement.scrollHeight - 2); \
             requestAnimationFrame(() => requestAnimationFrame(atEnd)); \
             setTimeout(atEnd, 300); })",
        );
        let at_end = match tokio::time::timeout_at(deadline, step).await {
            Err(_) => return true,
            Ok(Err(e)) => {
                tracing::debug!("scrolling {url}: {e}");
                true
            }
            Ok(Ok(result)) => result.into_value::<bool>().unwrap_or(true),
        };
        // Let the observers of the newly visible part start their requests.
        tokio::time::sleep(Duration::from_millis(100)).await;
        if !wait_idle(activity, deadline).await {
            return true;
        }
        if at_end {
            break;
        }
    }
    !wait_idle(activity, deadline).await
}

/// Waits for network idle; false when the deadline comes first.
async fn wait_idle(activity: &Activity, deadline: Instant) -> bool {
    loop {
        if activity.idle() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The document as HTML: its doctype, then `documentElement.outerHTML`.
async fn snapshot(tab: &Page) -> Result<String, String> {
    let script = "(() => { const d = document.doctype; \
        const doctype = d ? '<!DOCTYPE ' + d.name + '>\\n' : ''; \
        return doctype + document.documentElement.outerHTML; })()";
    tab.evaluate(script)
        .await
        .map_err(|e| format!("reading the DOM: {e}"))?
        .into_value::<String>()
        .map_err(|e| format!("reading the DOM: {e}"))
}

/// Answers one paused request: the page's own response for its main document, else
/// what the gate fetched; a refusal or failure fails the request.
async fn answer(
    tab: &Page,
    event: &EventRequestPaused,
    main_document: Option<Capture>,
    requisites: &dyn Requisites,
    activity: &Activity,
) {
    let fetched = match main_document {
        Some(capture) => Ok(capture),
        None if event.request.method != "GET" => Err(format!(
            "{} requests are not made (only GET)",
            event.request.method
        )),
        None => match Url::parse(&event.request.url) {
            Ok(url) => requisites.fetch(url).await,
            Err(e) => Err(format!("bad URL {:?}: {e}", event.request.url)),
        },
    };
    let sent = match fetched.and_then(|capture| fulfilment(event, &capture)) {
        Ok(fulfil) => {
            activity.fulfilled.fetch_add(1, Ordering::SeqCst);
            tab.execute(fulfil).await.map(|_| ())
        }
        Err(reason) => {
            tracing::debug!("refused {}: {reason}", event.request.url);
            activity.refused.fetch_add(1, Ordering::SeqCst);
            let fail =
                FailRequestParams::new(event.request_id.clone(), ErrorReason::BlockedByClient);
            tab.execute(fail).await.map(|_| ())
        }
    };
    if let Err(e) = sent {
        // The tab may be closing: nothing waits for this request any more.
        tracing::debug!("answering {}: {e}", event.request.url);
    }
}

/// Headers not passed to the browser: the body it gets is decoded and whole.
const DROPPED_HEADERS: [&str; 3] = ["content-encoding", "content-length", "transfer-encoding"];

/// The browser's answer for a capture: its status and headers, and its body decoded
/// (the archive keeps it as it came).
fn fulfilment(
    event: &EventRequestPaused,
    capture: &Capture,
) -> Result<FulfillRequestParams, String> {
    let body = decode_content(capture, MAX_DECODED_BYTES).map_err(|e| e.to_string())?;
    let headers: Vec<HeaderEntry> = capture
        .headers
        .iter()
        .filter(|(name, _)| !DROPPED_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, value)| Some(HeaderEntry::new(name.as_str(), value.to_str().ok()?)))
        .collect();
    FulfillRequestParams::builder()
        .request_id(event.request_id.clone())
        .response_code(i64::from(capture.status))
        .response_headers(headers)
        .body(data_encoding::BASE64.encode(&body))
        .build()
}
