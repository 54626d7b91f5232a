import { Modal } from '../../components/Modal';
import { SHORTCUTS, SHORTCUT_SECTIONS } from './shortcuts';

const SECTION_TITLES = { Board: 'Board', Task: 'Task panel', Terminal: 'Inside a terminal', Tiles: 'Tiles view', Changes: 'Changes view' } as const;

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose} className="help-dialog" testId="help-overlay">
      {SHORTCUT_SECTIONS.map((section) => (
        <section key={section} className="shortcut-section" aria-label={SECTION_TITLES[section]}>
          <h3>{SECTION_TITLES[section]}</h3>
          <table className="shortcut-table">
            <tbody>
              {SHORTCUTS.filter((s) => s.section === section).map((s) => (
                <tr key={s.description} data-testid="shortcut-row">
                  <td>
                    {s.keys.map((k, i) => (
                      <span key={`${i}-${k}`}>
                        {i > 0 && ' + '}
                        <kbd>{k}</kbd>
                      </span>
                    ))}
                  </td>
                  <td>{s.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <p className="muted small">
        Shortcuts are ignored while you type in a text field or the terminal has the focus (except Esc in a text
        field).
      </p>
    </Modal>
  );
}
