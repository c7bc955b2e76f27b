#!/usr/bin/env node
// Entry shim: TypeScript sources run through tsx's loader (no build step, so a fresh
// `npm install` is the whole set-up and the sources are what runs).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
