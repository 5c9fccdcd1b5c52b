/** core/errors.ts: every user-facing error class shares one base, with a name and a code. */
import { describe, expect, it } from 'vitest';
import { ApiErrorResponse, errors, ExtensionFailure, SimulatorError, StartupError } from '../../src/core/errors.js';
import { SettingsError } from '../../src/core/config/settings.js';
import { DeploymentConfigError } from '../../src/core/config/deployments.js';
import { ConfigPatchError } from '../../src/core/config/runtime-config.js';
import { RecordingFileError } from '../../src/core/recording/recording-file.js';
import { TiktokenFileError } from '../../src/core/tokens/tiktoken-file.js';
import { HeavyCount } from '../../src/core/tokens/counting-policy.js';
import { ChainError } from '../../src/front-end/extensions/chain.js';

describe('SimulatorError', () => {
  it('is the parent of every error whose message is for the user, each with its own name and code', () => {
    const classes = [SettingsError, DeploymentConfigError, StartupError, RecordingFileError, TiktokenFileError, ConfigPatchError, ChainError];
    const codes = new Set<string>();
    for (const Class of classes) {
      const err = new Class('one line for the user');
      expect(err).toBeInstanceOf(SimulatorError);
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe(Class.name);
      expect(err.code).toMatch(/^SIM_ERR_[A-Z_]+$/);
      expect(err.message).toBe('one line for the user');
      codes.add(err.code);
    }
    expect(codes.size).toBe(classes.length);
  });

  it('leaves out the errors that are not user messages, which still have names', () => {
    const internal = [new HeavyCount(), new ApiErrorResponse(errors.invalidJson()), new ExtensionFailure(errors.internal('x'), 'x')];
    for (const err of internal) expect(err).not.toBeInstanceOf(SimulatorError);
    expect(internal.map((e) => e.name)).toEqual(['HeavyCount', 'ApiErrorResponse', 'ExtensionFailure']);
  });
});
