//! Advanced Trade's lists: pages by `cursor` (and `has_next`), one page at
//! a time or as a stream to the end.

use futures_util::Stream;

use crate::api::executor::{Call, Connection};
use crate::error::Error;

/// One page's items and the cursor of the next, if there is one.
pub(crate) type CursorPage<T> = (Vec<T>, Option<String>);

/// An Advanced Trade list, ready to fetch: set [`limit`](Self::limit) (and,
/// for some lists, filters), then take one [`page`](Self::page) or a
/// [`stream`](Self::stream) of every item.
#[must_use = "a list does nothing until a page or the stream is requested"]
pub struct CursorList<T> {
    api: Connection,
    call: Call,
    read: fn(&[u8]) -> Result<CursorPage<T>, Error>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// A page of an Advanced Trade list.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CursorListPage<T> {
    /// The items.
    pub items: Vec<T>,
    /// The cursor of the next page, if there is one: pass it to
    /// [`CursorList::cursor`].
    pub cursor: Option<String>,
}

impl<T: Send + 'static> CursorList<T> {
    pub(crate) fn new(
        api: Connection,
        call: Call,
        read: fn(&[u8]) -> Result<CursorPage<T>, Error>,
    ) -> Self {
        CursorList { api, call, read, limit: None, cursor: None }
    }

    /// Items per page (at most what the endpoint allows; Coinbase caps it).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit.max(1));
        self
    }

    /// Starts at this cursor, from a page before.
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// Adds a filter of the endpoint's.
    pub(crate) fn filter(mut self, name: &str, value: &str) -> Self {
        self.call = self.call.query(name, value);
        self
    }

    fn call_at(&self, cursor: Option<&str>) -> Call {
        let mut call = self.call.clone();
        if let Some(limit) = self.limit {
            call = call.query("limit", &limit.to_string());
        }
        if let Some(cursor) = cursor {
            call = call.query("cursor", cursor);
        }
        call
    }

    /// The first page (or the page at [`cursor`](Self::cursor)).
    ///
    /// # Errors
    ///
    /// As any request.
    pub async fn page(self) -> Result<CursorListPage<T>, Error> {
        let call = self.call_at(self.cursor.as_deref());
        let (items, cursor) = (self.read)(&self.api.execute(&call).await?)?;
        Ok(CursorListPage { items, cursor })
    }

    /// Every item, page by page, until Coinbase says there is no more. The
    /// stream ends after the first error, and at a cursor it has already
    /// followed (an answer that would loop forever).
    pub fn stream(self) -> impl Stream<Item = Result<T, Error>> + Send + 'static {
        let start = self.cursor.clone();
        futures_util::stream::unfold(
            (self, Some(start), Vec::<T>::new().into_iter(), Vec::<String>::new()),
            |(list, mut next, mut buffered, mut seen)| async move {
                loop {
                    if let Some(item) = buffered.next() {
                        return Some((Ok(item), (list, next, buffered, seen)));
                    }
                    let cursor = next.take()?;
                    let call = list.call_at(cursor.as_deref());
                    let page = match list.api.execute(&call).await {
                        Ok(body) => (list.read)(&body),
                        Err(error) => Err(error),
                    };
                    match page {
                        Ok((items, following)) => {
                            if let Some(following) = &following {
                                if seen.contains(following) {
                                    let error = Error::invalid_response(
                                        "a cursor that leads back to a page already fetched",
                                    );
                                    return Some((
                                        Err(error),
                                        (list, None, Vec::new().into_iter(), seen),
                                    ));
                                }
                                seen.push(following.clone());
                            }
                            next = following.map(Some);
                            buffered = items.into_iter();
                        }
                        Err(error) => {
                            return Some((Err(error), (list, None, Vec::new().into_iter(), seen)));
                        }
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

impl<T> std::fmt::Debug for CursorList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorList")
            .field("path", &self.call.path)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
