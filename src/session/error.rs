//! Why an operation or a connection failed.

use core::fmt;

use crate::codec::topic::TopicError;
use crate::codec::{DecodeError, EncodeError, ReasonCode};

/// A failed operation, a refused or lost connection, or bad input.
///
/// `Copy` and free of formatting machinery: [`SessionError::message`] is a
/// fixed string, and [`SessionError::code`] is the stable name JavaScript
/// sees as `MqttError.code`. Nothing here ever holds a password or
/// authentication data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// An argument the application passed is malformed.
    InvalidArgument(&'static str),
    /// A topic name or filter is malformed.
    InvalidTopic(TopicError),
    /// The server refused the connection (3.x return codes are mapped to v5).
    ConnectionRefused(ReasonCode),
    /// No CONNACK within the connect timeout.
    ConnectTimeout,
    /// No PINGRESP (or anything else) within the keepalive.
    KeepAliveTimeout,
    /// The server broke a protocol rule; the connection was closed with
    /// this reason code.
    Protocol(ReasonCode, &'static str),
    /// The server sent bytes that are not a valid packet.
    Decode(DecodeError),
    /// Our packet exceeds the server's Maximum Packet Size.
    PacketTooLarge,
    /// The server answered the operation with a v5 failure reason code, or
    /// the server's limits (Maximum QoS, Retain Available) forbid it.
    Rejected(ReasonCode),
    /// The offline queue is full.
    QueueFull,
    /// Not connected, and queueing while offline is off.
    NotConnected,
    /// The client ended before the operation completed.
    Closed,
    /// The server sent DISCONNECT with this reason.
    ServerDisconnected(ReasonCode),
    /// The network connection closed.
    ConnectionLost,
    /// The WebSocket closed, with this close code (1006 when it failed or
    /// broke without a closing handshake).
    TransportClosed(u16),
    /// The WebSocket closed before it ever opened (nothing listens there,
    /// the upgrade was refused, the host is unknown, TLS failed), with its
    /// close code: unlike `TransportClosed`, no connection was lost.
    ConnectFailed(u16),
    /// The credentials provider threw or rejected. Its own error is not
    /// kept: it may hold secrets.
    CredentialsFailed,
    /// The durable store failed; the session goes on in memory.
    Storage(&'static str),
}

impl SessionError {
    /// The stable error code of the JavaScript API's `MqttError`.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::InvalidTopic(_) => "InvalidTopic",
            Self::ConnectionRefused(_) => "ConnectionRefused",
            Self::ConnectTimeout | Self::KeepAliveTimeout => "Timeout",
            Self::Protocol(..) => "Protocol",
            Self::Decode(DecodeError::PacketTooLarge) | Self::PacketTooLarge => "PacketTooLarge",
            Self::Decode(_) => "Protocol",
            Self::Rejected(_) => "Rejected",
            Self::QueueFull => "QueueFull",
            Self::NotConnected => "NotConnected",
            Self::Closed => "Closed",
            Self::ServerDisconnected(_) => "ServerDisconnected",
            Self::ConnectionLost | Self::TransportClosed(_) => "ConnectionLost",
            Self::ConnectFailed(_) => "ConnectionFailed",
            Self::CredentialsFailed => "InvalidArgument",
            Self::Storage(_) => "Storage",
        }
    }

    /// The WebSocket close code, for a connection that closed underneath.
    pub fn close_code(self) -> Option<u16> {
        match self {
            Self::TransportClosed(code) | Self::ConnectFailed(code) => Some(code),
            _ => None,
        }
    }

    /// Whether this is about a connection (to a server the message should
    /// name) rather than an operation.
    pub fn is_connection(self) -> bool {
        matches!(
            self,
            Self::ConnectionRefused(_)
                | Self::ConnectTimeout
                | Self::KeepAliveTimeout
                | Self::ServerDisconnected(_)
                | Self::ConnectionLost
                | Self::TransportClosed(_)
                | Self::ConnectFailed(_)
        )
    }

    /// Whether another attempt may succeed where this one failed: the
    /// network, a timeout, a server that is unavailable, busy, over a quota
    /// or sending us elsewhere. Refusals that retrying cannot fix (bad
    /// credentials, not authorized, banned, ...) and protocol errors are not.
    pub fn is_transient(self) -> bool {
        match self {
            Self::ConnectionLost
            | Self::TransportClosed(_)
            | Self::ConnectFailed(_)
            | Self::ConnectTimeout
            | Self::KeepAliveTimeout
            | Self::CredentialsFailed => true,
            Self::ConnectionRefused(r) | Self::ServerDisconnected(r) => matches!(
                r,
                ReasonCode::ServerUnavailable
                    | ReasonCode::ServerBusy
                    | ReasonCode::QuotaExceeded
                    | ReasonCode::UseAnotherServer
                    | ReasonCode::ServerMoved
                    | ReasonCode::ConnectionRateExceeded
                    | ReasonCode::ServerShuttingDown
                    | ReasonCode::KeepAliveTimeout
                    | ReasonCode::SessionTakenOver
                    | ReasonCode::AdministrativeAction
                    | ReasonCode::UnspecifiedError
            ),
            _ => false,
        }
    }

    /// The MQTT reason code involved, if there is one.
    pub fn reason_code(self) -> Option<ReasonCode> {
        match self {
            Self::ConnectionRefused(r) | Self::Protocol(r, _) | Self::Rejected(r) | Self::ServerDisconnected(r) => {
                Some(r)
            }
            Self::Decode(e) => Some(e.reason_code()),
            Self::PacketTooLarge => Some(ReasonCode::PacketTooLarge),
            _ => None,
        }
    }

    /// A fixed, human-readable description.
    pub fn message(self) -> &'static str {
        match self {
            Self::InvalidArgument(what) | Self::Protocol(_, what) => what,
            Self::InvalidTopic(e) => e.as_str(),
            Self::ConnectionRefused(_) => "the server refused the connection",
            Self::ConnectTimeout => "no CONNACK within the connect timeout",
            Self::KeepAliveTimeout => "no answer from the server within the keepalive",
            Self::Decode(e) => e.as_str(),
            Self::PacketTooLarge => "packet larger than the server's Maximum Packet Size",
            Self::Rejected(_) => "the server rejected the operation",
            Self::QueueFull => "the offline queue is full",
            Self::NotConnected => "not connected",
            Self::Closed => "the client ended before the operation completed",
            Self::ServerDisconnected(_) => "the server sent DISCONNECT",
            Self::ConnectionLost => "the connection closed",
            Self::TransportClosed(_) => "the WebSocket closed",
            Self::ConnectFailed(_) => "the WebSocket could not be opened",
            Self::CredentialsFailed => "credentialsProvider failed",
            Self::Storage(what) => what,
        }
    }
}

impl From<TopicError> for SessionError {
    fn from(e: TopicError) -> Self {
        Self::InvalidTopic(e)
    }
}

impl From<EncodeError> for SessionError {
    fn from(e: EncodeError) -> Self {
        match e {
            EncodeError::PacketTooLarge => Self::PacketTooLarge,
            other => Self::InvalidArgument(other.as_str()),
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for SessionError {}
