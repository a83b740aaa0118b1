//! Paginated lists: one page at a time, or a stream that follows
//! `next_uri` to the end.

use std::collections::HashSet;
use std::marker::PhantomData;

use futures_util::Stream;
use serde::de::DeserializeOwned;

use crate::api::executor::{Call, Connection, resolve};
use crate::api::transport::read_envelope;
use crate::error::Error;

/// The order of a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Newest first, Coinbase's default.
    #[default]
    Desc,
    /// Oldest first.
    Asc,
}

/// A list endpoint, ready to fetch: set [`limit`](Self::limit),
/// [`order`](Self::order) and a cursor, then take one [`page`](Self::page)
/// or a [`stream`](Self::stream) of every item.
#[must_use = "a list does nothing until a page or the stream is requested"]
pub struct List<T> {
    api: Connection,
    call: Call,
    limit: Option<u32>,
    order: Option<Order>,
    starting_after: Option<String>,
    ending_before: Option<String>,
    item: PhantomData<fn() -> T>,
}

/// One page of a list.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// The cursor of the next page (Coinbase's `next_uri`), if there is one.
    pub next_uri: Option<String>,
    /// The cursor of the previous page, if there is one.
    pub previous_uri: Option<String>,
}

impl<T: DeserializeOwned + Send + 'static> List<T> {
    pub(crate) fn new(api: Connection, call: Call) -> Self {
        List {
            api,
            call,
            limit: None,
            order: None,
            starting_after: None,
            ending_before: None,
            item: PhantomData,
        }
    }

    /// Items per page, 1 to 100; Coinbase's default is 25.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit.clamp(1, 100));
        self
    }

    /// The order; newest first by default.
    pub fn order(mut self, order: Order) -> Self {
        self.order = Some(order);
        self
    }

    /// Starts after the item with this id.
    pub fn starting_after(mut self, id: impl Into<String>) -> Self {
        self.starting_after = Some(id.into());
        self
    }

    /// Ends before the item with this id.
    pub fn ending_before(mut self, id: impl Into<String>) -> Self {
        self.ending_before = Some(id.into());
        self
    }

    fn first_path(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(limit) = self.limit {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(order) = self.order {
            query.append_pair("order", if order == Order::Asc { "asc" } else { "desc" });
        }
        if let Some(after) = &self.starting_after {
            query.append_pair("starting_after", after);
        }
        if let Some(before) = &self.ending_before {
            query.append_pair("ending_before", before);
        }
        let query = query.finish();
        if query.is_empty() {
            self.call.path.clone()
        } else {
            format!("{}?{query}", self.call.path)
        }
    }

    /// The first page.
    ///
    /// # Errors
    ///
    /// As any request.
    pub async fn page(self) -> Result<Page<T>, Error> {
        let path = self.first_path();
        fetch(&self.api, Call { path, ..self.call }).await
    }

    /// Every item, page by page, following `next_uri` until Coinbase says
    /// there is no more. The stream ends after the first error.
    ///
    /// A `next_uri` is followed only on the API's origin and under its
    /// path, and only to a page not fetched before: anything else ends the
    /// stream with [`Error::InvalidResponse`], and nothing is sent with the
    /// user's token.
    pub fn stream(self) -> impl Stream<Item = Result<T, Error>> + Send + 'static {
        let first = self.first_path();
        let pages =
            Pages { api: self.api, call: self.call, next: Some(first), fetched: HashSet::new() };
        futures_util::stream::unfold(
            (pages, Vec::<T>::new().into_iter(), false),
            |(mut pages, mut buffered, failed)| async move {
                loop {
                    if failed {
                        return None;
                    }
                    if let Some(item) = buffered.next() {
                        return Some((Ok(item), (pages, buffered, false)));
                    }
                    match pages.next().await? {
                        Ok(items) => buffered = items.into_iter(),
                        Err(error) => return Some((Err(error), (pages, buffered, true))),
                    }
                }
            },
        )
    }

    /// Every item, collected.
    ///
    /// # Errors
    ///
    /// The first error of any page.
    pub async fn all(self) -> Result<Vec<T>, Error> {
        use futures_util::TryStreamExt as _;
        self.stream().try_collect().await
    }
}

/// The pages of a stream, and the paths already fetched.
struct Pages {
    api: Connection,
    call: Call,
    next: Option<String>,
    fetched: HashSet<String>,
}

impl Pages {
    /// The next page's items; `None` after the last page.
    async fn next<T: DeserializeOwned>(&mut self) -> Option<Result<Vec<T>, Error>> {
        let path = self.next.take()?;
        // The first path is the endpoint's own, checked when it is sent;
        // later ones are Coinbase's `next_uri`.
        match resolve(&self.api.config.api_base, &path) {
            Ok(url) if self.fetched.insert(url.to_string()) => {}
            Ok(_) => {
                return Some(Err(Error::invalid_response(
                    "a next_uri that leads back to a page already fetched",
                )));
            }
            Err(_) if !self.fetched.is_empty() => {
                return Some(Err(Error::invalid_response(
                    "a next_uri that leaves the API base or names no page",
                )));
            }
            Err(_) => {}
        }
        let call = Call { path, ..self.call.clone() };
        Some(fetch::<T>(&self.api, call).await.map(|page| {
            self.next = page.next_uri;
            page.items
        }))
    }
}

/// One page: `call` is the list's, with the page's path.
async fn fetch<T: DeserializeOwned>(api: &Connection, call: Call) -> Result<Page<T>, Error> {
    let body = api.execute(&call).await?;
    let envelope = read_envelope::<Vec<T>>(&body)?;
    let (next_uri, previous_uri) = match envelope.pagination {
        Some(pagination) => (pagination.next_uri, pagination.previous_uri),
        None => (None, None),
    };
    let present = |uri: Option<String>| uri.filter(|uri| !uri.is_empty());
    Ok(Page {
        items: envelope.data,
        next_uri: present(next_uri),
        previous_uri: present(previous_uri),
    })
}

impl<T> std::fmt::Debug for List<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("List")
            .field("path", &self.call.path)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
