#!/usr/bin/env node
// Committed entry point so package managers can link the bin before the first build. It runs the
// bundle (scripts/bundle.mjs), which an idle daemon holds in less memory than dist/'s modules.
import '../bundle/criod.js';
