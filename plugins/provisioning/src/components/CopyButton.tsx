import { useState } from 'react';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import FileCopyIcon from '@material-ui/icons/FileCopyOutlined';

/**
 * A small button copying `text` to the clipboard; its accessible name is
 * `label`, its tooltip says Copy, then Copied.
 */
export function CopyButton(props: { text: string; label: string }) {
  const { text, label } = props;
  const [copied, setCopied] = useState(false);
  return (
    <Tooltip title={copied ? 'Copied' : 'Copy'}>
      <IconButton
        size="small"
        aria-label={label}
        onClick={() =>
          navigator.clipboard?.writeText(text).then(() => setCopied(true))
        }
      >
        <FileCopyIcon fontSize="small" />
      </IconButton>
    </Tooltip>
  );
}
