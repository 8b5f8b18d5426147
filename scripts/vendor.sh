#!/bin/sh
# Copy the browser files the pages use from node_modules into the static folder.
# Nothing third-party is committed; `make install` runs this after `npm ci`.
set -eu
dest="$1"
rm -rf "$dest"
mkdir -p "$dest/bootstrap"
cp node_modules/bootstrap/dist/css/bootstrap.min.css "$dest/bootstrap/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$dest/bootstrap/"
mkdir -p "$dest/scorm-again"
for f in scorm12.min.js scorm2004.min.js cross-frame-lms.min.js cross-frame-api.min.js; do
  cp "node_modules/scorm-again/dist/$f" "$dest/scorm-again/"
done
