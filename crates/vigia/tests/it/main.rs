//! Black-box tests: real `vigia` processes on loopback ports, spoken to
//! over HTTP and through the command line.

#![allow(unreachable_pub)]

mod access;
mod assistance;
mod audit;
mod browser;
mod cli;
mod console;
mod correlation;
mod csaf;
mod demo;
mod directory;
mod federation;
mod federation_net;
mod helpers;
mod http_errors;
mod leak_oracle;
mod network;
mod objects;
mod portal;
mod postgres;
mod public_reports;
mod shutdown;
mod taxii_client;
mod taxii_interop;
mod taxii_server;
mod watch;
