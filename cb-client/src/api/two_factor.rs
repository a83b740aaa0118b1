//! Sends that Coinbase holds for the user's two-factor code: the executor's
//! side of [`PendingSend`].

use futures_util::future::BoxFuture;

use crate::api::bodies::SavedSend;
use crate::api::executor::{Call, Connection};
use crate::api::models::transaction::Transaction;
use crate::api::transport::read_data;
use crate::error::{Error, PendingSend, Replay};

/// A held send: the connection it went through and the identical request,
/// `idem` included, to make again with the code.
struct HeldSend {
    connection: Connection,
    call: Call,
}

impl Replay for HeldSend {
    fn idem(&self) -> Option<&str> {
        self.call.body.as_ref()?.get("idem")?.as_str()
    }

    fn path(&self) -> &str {
        &self.call.path
    }

    fn saved(&self) -> Option<SavedSend> {
        SavedSend::from_call(&self.call.path, self.call.body.as_ref()?)
    }

    fn with_code(self: Box<Self>, code: String) -> BoxFuture<'static, Result<Transaction, Error>> {
        let HeldSend { connection, mut call } = *self;
        call.headers.retain(|(name, _)| *name != "CB-2FA-TOKEN");
        call.headers.push(("CB-2FA-TOKEN", code));
        Box::pin(execute_send(connection, call))
    }
}

/// Makes a send, turning `two_factor_required` into a [`PendingSend`].
pub(crate) async fn execute_send(connection: Connection, call: Call) -> Result<Transaction, Error> {
    let idem = idem_of(&call);
    let body = execute_held(connection, call).await?;
    sent(read_data(&body), idem)
}

/// The `idem` a send carries.
pub(crate) fn idem_of(call: &Call) -> Option<String> {
    call.body.as_ref()?.get("idem")?.as_str().map(str::to_owned)
}

/// What reading a send's success answer gave: a send that succeeded is
/// sent, however its answer reads, so an unreadable answer is
/// [`Error::SentUnreadable`] with its `idem`.
pub(crate) fn sent<T>(read: Result<T, Error>, idem: Option<String>) -> Result<T, Error> {
    read.map_err(|error| match (error, idem) {
        (Error::InvalidResponse { detail }, Some(idem)) => Error::SentUnreadable { idem, detail },
        (error, _) => error,
    })
}

/// Makes a send and returns its answer's body, turning
/// `two_factor_required` into a [`PendingSend`].
pub(crate) async fn execute_held(connection: Connection, call: Call) -> Result<Vec<u8>, Error> {
    match connection.execute(&call).await {
        Ok(body) => Ok(body),
        Err(error) if error.api_error_id() == Some("two_factor_required") => {
            Err(Error::TwoFactorRequired(PendingSend::new(HeldSend { connection, call })))
        }
        Err(error) => Err(error),
    }
}
