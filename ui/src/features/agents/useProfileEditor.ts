import { useCallback, useEffect, useRef, useState } from 'react';
import type { AgentInfo } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { agentsApi } from '../../api/agents';

export type ProfileEditorState = {
  /** Where the file lives; null until loaded. */
  path: string | null;
  text: string;
  setText: (text: string) => void;
  loaded: boolean;
  loadError: string | null;
  reload: () => void;
  dirty: boolean;
  saving: boolean;
  /** The server refused the text (422 `invalid_profile`: the TOML error) or the save failed; the text is kept. */
  saveError: ApiError | null;
  /** Set after a successful save until the text changes again. */
  justSaved: boolean;
  save: () => void;
  /** Back to the last saved text. */
  revert: () => void;
};

/** The user's agents.toml: loaded once, edited locally, saved with PUT (which answers with the re-detected agents). */
export function useProfileEditor(onSaved: (agents: AgentInfo[]) => void): ProfileEditorState {
  const [path, setPath] = useState<string | null>(null);
  const [savedText, setSavedText] = useState<string | null>(null);
  const [text, setTextState] = useState('');
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [justSaved, setJustSaved] = useState(false);
  const alive = useRef(true);
  const onSavedRef = useRef(onSaved);
  onSavedRef.current = onSaved;

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      const config = await agentsApi.getConfig();
      if (!alive.current) return;
      setPath(config.path);
      setSavedText(config.text);
      setTextState(config.text);
    } catch (e) {
      if (alive.current) setLoadError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    void load();
    return () => {
      alive.current = false;
    };
  }, [load]);

  const setText = useCallback((next: string) => {
    setTextState(next);
    setJustSaved(false);
  }, []);

  // Read through refs so `save` stays stable for the Ctrl+S handler and never sends a stale text.
  const textRef = useRef(text);
  textRef.current = text;
  const savingRef = useRef(false);
  const loaded = savedText !== null;
  const loadedRef = useRef(loaded);
  loadedRef.current = loaded;

  const save = useCallback(async () => {
    // Never save before the file was read: that would replace it with an empty editor.
    if (savingRef.current || !loadedRef.current) return;
    savingRef.current = true;
    const sent = textRef.current;
    setSaving(true);
    setSaveError(null);
    try {
      const agents = await agentsApi.saveConfig(sent);
      if (!alive.current) return;
      setSavedText(sent);
      setJustSaved(textRef.current === sent);
      onSavedRef.current(agents);
    } catch (e) {
      if (!alive.current) return;
      setSaveError(e instanceof ApiError ? e : new ApiError(0, { code: 'internal', message: errorMessage(e) }));
    } finally {
      savingRef.current = false;
      if (alive.current) setSaving(false);
    }
  }, []);

  const revert = useCallback(() => {
    if (savedText === null) return;
    setTextState(savedText);
    setSaveError(null);
  }, [savedText]);

  return {
    path,
    text,
    setText,
    loaded,
    loadError,
    reload: useCallback(() => void load(), [load]),
    dirty: loaded && text !== savedText,
    saving,
    saveError,
    justSaved,
    save: useCallback(() => void save(), [save]),
    revert,
  };
}
